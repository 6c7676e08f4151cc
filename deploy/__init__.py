"""Running Portail Famille: the list of processes, migrations, demo data, the local runner."""
