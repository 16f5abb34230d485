"""An id no row can have (the hostile walk found SQLite overflowing on it in the department-member check): 403/404, never 500."""
import pytest
pytestmark = pytest.mark.django_db
@pytest.mark.parametrize("role", ["technician", "outsider"])
def test_huge_id(client_for, role):
    for url in ("/tickets/1000000000000000000000/", "/tickets/1000000000000000000000/reply/"):
        assert client_for(role).get(url).status_code in (403, 404)
