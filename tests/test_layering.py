"""Dependencies point one way: the core never imports file or Excel libraries."""

import subprocess
import sys
from pathlib import Path


def test_core_imports_neither_openpyxl_nor_xlwings():
    code = (
        "import sys, xl_addin, xl_addin.core, xl_addin.settings\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(xl_addin.core.__path__, 'xl_addin.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in {'openpyxl', 'xlwings', 'python_calamine', 'click'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_importing_the_package_changes_no_pandas_option():
    code = (
        "import pandas as pd\n"
        "before = pd.get_option('display.max_rows'), pd.get_option('mode.copy_on_write')\n"
        "import xl_addin, xl_addin.core\n"
        "after = pd.get_option('display.max_rows'), pd.get_option('mode.copy_on_write')\n"
        "assert before == after, (before, after)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_refresh_use_case_imports_no_adapter_library():
    code = (
        "import sys, xl_addin.refresh\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in {'fastexcel', 'xlwings', 'openpyxl', 'lxml'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_importing_the_package_leaves_pandas_and_the_core_for_later():
    # the command starts opening the workbook (reader_prefetch) before these imports
    code = ("import sys, xl_addin\n"
            "light = 'pandas' not in sys.modules and 'xl_addin.core' not in sys.modules\n"
            "from xl_addin import tier_customers, Settings\n"
            "try:\n    xl_addin.no_such_name\nexcept AttributeError:\n    missing = True\n"
            "print(light, tier_customers.__module__, missing, sorted(xl_addin.__all__) == xl_addin.__all__)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "xl_addin.core.pipeline", "True", "True"]
