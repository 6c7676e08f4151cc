"""The bank-partner stub: a separate HTTP app imitating PayFiP (see DESIGN.md, "Payments").

API for the merchant: POST /api/paiement (→ idop), GET /api/paiement/<idop> (result);
the parent's page: GET /paiement?idop=…; control: /controle/… (see app.py).
"""
