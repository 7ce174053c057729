"""Executes alert-review.ipynb against a report directory; fails if any cell fails.

Usage: python3 notebooks/execute.py [REPORT_DIR]   (default: reports/sample)
"""
import os
import sys
from pathlib import Path

import nbclient
import nbformat

here = Path(__file__).resolve().parent
report = Path(sys.argv[1] if len(sys.argv) > 1 else here.parent / "reports" / "sample").resolve()
os.environ["ALERTNOISE_REPORT"] = str(report)
notebook = nbformat.read(here / "alert-review.ipynb", as_version=4)
client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(here)}})
client.execute()
figures = sum(
    1
    for cell in notebook.cells
    for output in cell.get("outputs", [])
    if "image/png" in output.get("data", {})
)
print(f"{here / 'alert-review.ipynb'}: every cell ran against {report}; {figures} figures")
if figures < 2:
    sys.exit("expected the leaderboard and the rule's figures")
