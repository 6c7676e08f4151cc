"""messaging: family ⇄ structure messages (Boîte de réception), unread counts, and the outgoing
notifications (emails through SMTP, SMS recorded) that other services' events call for."""
