"""requests: change requests on the family and children records (pending → accepted or
refused, with the decision's date and reason), applied by each record's owner on
request.accepted; a copy of the children's planning requests and pré-inscriptions; the
"Liste des demandes"."""
