"""The parents' web site: assembles each page from the services' RPC answers.

It owns no business data; it holds only the web session cookie.
"""
