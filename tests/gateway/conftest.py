"""Gateway fixtures (the app and its client are in tests/conftest.py)."""
import pytest

from tests.support.families import create_family


@pytest.fixture
def family(backoffice):
    """A new family whose password is already chosen (no forced change)."""
    return create_family(backoffice, nom="BERNARD", prenom="LUC", password="Famille2026")
