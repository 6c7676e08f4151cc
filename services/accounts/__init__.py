"""accounts: the collectivity's profile, families (responsable, conjoint), credentials and
web sessions, the password policy and login throttling."""
