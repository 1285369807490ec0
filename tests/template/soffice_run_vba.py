"""Open a workbook in headless LibreOffice and call one of its VBA functions over UNO.

Run with the SYSTEM python (it needs python3-uno, which is not in the venv):

    /usr/bin/python3 soffice_run_vba.py BOOK.xlsm Module.Function

Prints the function's return value on stdout. LibreOffice imports VBA modules into the Basic
library "VBAProject" with "Option VBASupport 1"; a module that does not compile cannot be
invoked, so a known answer proves the project loaded and compiled. Macros run because the
document is loaded with MacroExecutionMode ALWAYS_EXECUTE_NO_WARN in a throwaway profile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import uno  # noqa: F401  (registers the "com.sun.star" import hook)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode
CONNECT_SECONDS = 60


def _property(name: str, value) -> PropertyValue:
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def run_vba_function(book: Path, function: str) -> object:
    pipe = f"ct_{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="ct-soffice-") as profile:
        office = subprocess.Popen(
            [
                "soffice", "--headless", "--invisible", "--norestore", "--nologo",
                "--nodefault", f"-env:UserInstallation={Path(profile).as_uri()}",
                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext(
                "com.sun.star.bridge.UnoUrlResolver", local)
            deadline = time.monotonic() + CONNECT_SECONDS
            while True:
                try:
                    context = resolver.resolve(
                        f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                    break
                except NoConnectException:
                    if time.monotonic() > deadline or office.poll() is not None:
                        raise
                    time.sleep(0.5)
            desktop = context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context)
            try:
                document = desktop.loadComponentFromURL(
                    book.resolve().as_uri(), "_blank", 0,
                    (_property("Hidden", True),
                     _property("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN)),
                )
                if document is None:
                    raise RuntimeError(f"LibreOffice could not open {book}")
                try:
                    script = document.getScriptProvider().getScript(
                        f"vnd.sun.star.script:VBAProject.{function}?language=Basic&location=document")
                    return script.invoke((), (), ())[0]
                finally:
                    document.close(True)
            finally:
                try:
                    desktop.terminate()
                except Exception:  # the bridge drops while LibreOffice exits; that is the goal
                    pass
        finally:
            try:
                office.wait(timeout=30)
            except subprocess.TimeoutExpired:
                office.kill()
                office.wait()


if __name__ == "__main__":
    os.environ.setdefault("SAL_USE_VCLPLUGIN", "svp")
    value = run_vba_function(Path(sys.argv[1]), sys.argv[2])
    if value is None:
        # Headless LibreOffice reports a Basic compile error by returning nothing.
        sys.exit(f"{sys.argv[2]} returned no value: the module did not compile")
    print(value)
