"""billing: régies and tariffs, the monthly invoicing run, invoices and their PDFs, payments,
the statement (Relevé de compte) and online payment through the bank partner."""
