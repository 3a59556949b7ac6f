"""Start the app: ``python -m ui.serve [streamlit run options]`` is ``streamlit run app.py [options]``
with Streamlit's old ``pages/`` folder mode off from the server's first request (``make run`` uses it).

Why: a folder named ``pages/`` beside app.py makes Streamlit run every request in its old multipage
mode until some session has called ``st.navigation`` in the process. So the first visitors after a
start saw an English menu of file names (upload, scorecard, …) flash by, and an unknown address
got the English "Page not found" dialog before app.py could register its Chinese catch-all page.
The pages stay in ``pages/`` (their paths are in links, tests and other branches); the flag that
``st.navigation`` itself clears is cleared here before the server starts. ``streamlit run app.py``
still works: ui.common.start_page hands such first requests over to app.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def old_pages_mode_off() -> bool:
    """Clear Streamlit's "app uses a pages/ folder" flag (as st.navigation does); False if this Streamlit has none."""
    from streamlit.runtime.pages_manager import PagesManager

    if not hasattr(PagesManager, "uses_pages_directory"):
        return False
    PagesManager.uses_pages_directory = False
    return True


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    old_pages_mode_off()
    cli.main(["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
