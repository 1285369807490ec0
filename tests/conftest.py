import os
import shutil

import pytest


def pytest_collection_modifyitems(config, items):
    """Tests marked ``soffice`` need LibreOffice. Locally they skip without it; in CI
    (CI=true) a missing LibreOffice is a failure, so those checks cannot silently vanish."""
    if shutil.which("soffice"):
        return
    if os.environ.get("CI"):
        fail = pytest.mark.usefixtures("_soffice_required_in_ci")
        for item in items:
            if "soffice" in item.keywords:
                item.add_marker(fail)
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) is not installed")
    for item in items:
        if "soffice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _sales_cache_in_a_temporary_folder(tmp_path_factory):
    """The sales cache of every refresh in the tests goes to a temporary folder, never to
    the user's cache folder."""
    folder = tmp_path_factory.mktemp("sales-cache")
    previous = os.environ.get("CUSTOMER_TIERS_CACHE_DIR")
    os.environ["CUSTOMER_TIERS_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CUSTOMER_TIERS_CACHE_DIR", None)
    else:
        os.environ["CUSTOMER_TIERS_CACHE_DIR"] = previous


@pytest.fixture
def _soffice_required_in_ci():
    pytest.fail("CI is set but LibreOffice (soffice) is not on PATH: .ci/run must install it")
