"""The bank-partner stub: a separate HTTP app imitating PayFiP (see DESIGN.md, "Payments").

For now a placeholder with its health page; the billing work makes it the payment stub.
"""
