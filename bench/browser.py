"""Browser bench: N sessions open a page at once in headless Chromium against `streamlit run app.py`.

    .venv/bin/python bench/browser.py                                  # make bench-browser: 10,000 and 100,000 forms
    .venv/bin/python bench/browser.py --forms 100000 --pages department --sessions 8
    .venv/bin/python bench/browser.py --forms 200 --sessions 2 --edits 1 --out /tmp/b   # the smoke test's run
    .venv/bin/python bench/browser.py --markdown bench/out/browser-latest.json         # the README tables

Per page (部门总览, 项目评分卡, 模拟测算) and database size: a fresh server, one session (cold caches), one
session again (warm), N sessions opened together (warm), 1 and N "returning" sessions (each
browser opened the app twice before, so Streamlit's scripts are in its cache and compiled: what
a leader who has used the app waits for), and after a restart N sessions together on cold caches. Every
session is a new browser context: its own cookies, cache and Streamlit session. Per session,
measured in the page (performance.now() from its navigation start): *first* = the page's title
drawn; *drawn* = the page's last elements drawn (its KPI tile, at least its charts and tables,
each chart painted, each table's grid canvas there) with Streamlit's status widget gone and no
skeleton left. *bytes* = websocket frame payloads the browser received for the page. *browser
CPU* = Chromium's TaskDuration for the page (CDP Performance metrics). *server* = the script
runs app.py timed around ``page.run()`` (env PERFBOARD_TIMING, ui/common.py::timed_run). On 模拟测算
an edit is timed from the Enter that commits a new 实际完成值 until the 模拟后规则得分 tile shows the new
total.

Databases come from bench/run.py's cache (``bench/out/cache/store-<n>-…``, built by
perfcore.synth when missing); by default the newest one of a size is reused even when
perfcore changed since (``--exact-cache`` rebuilds it for the current sources).
Figures are printed and written to ``<out>/browser-latest.json`` and ``<out>/browser-<time>.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import run as bench_run  # noqa: E402  (bench/run.py: the cached databases, machine facts)

TIMING_ENV = "PERFBOARD_TIMING"  # = ui.common.TIMING_ENV (not imported: that module imports streamlit)
WAIT_MS = 180_000


@dataclass(frozen=True)
class PageSpec:
    """A page and what "drawn" means for it: its last elements are there and painted."""

    key: str
    title: str
    path: str
    metric: str  # a KPI tile's label that must be drawn
    charts: int  # at least this many Altair charts, each painted
    frames: int  # at least this many st.dataframe / st.data_editor grids
    deep_link: bool  # opened at the chosen form (?year=&unit=&project=)


PAGES = {
    "department": PageSpec("department", "部门总览", "department", "项目数", 5, 1, False),
    "scorecard": PageSpec("scorecard", "项目评分卡", "scorecard", "规则得分", 1, 1, True),
    "whatif": PageSpec("whatif", "模拟测算", "whatif", "模拟后规则得分", 0, 2, True),
    # not measured by default: the floor, a page of a heading, an uploader and a caption
    "upload": PageSpec("upload", "上传与校验", "upload", "", 0, 0, False),
}
DEFAULT_PAGES = ("department", "scorecard", "whatif")

# Runs in every page before its own scripts: records when the title and when the whole page was drawn.
_MARKS_JS = """
(() => {
  const spec = %s;
  const marks = {};
  window.__pbMarks = marks;
  document.addEventListener('keydown', e => { if (e.key === 'Enter') window.__pbEnter = performance.now(); }, true);
  const all = sel => [...document.querySelectorAll(sel)];
  const drawn = () => {
    if (document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')) return false;
    if (spec.metric && !all('[data-testid="stMetric"]').some(m => m.textContent.includes(spec.metric))) return false;
    if (!spec.metric && !document.querySelector('[data-testid="stFileUploader"]')) return false;
    const charts = all('[data-testid="stVegaLiteChart"], [data-testid="stImage"]');
    const painted = c => c.querySelector('canvas.marks, svg.marks')
      || [...c.querySelectorAll('img')].some(i => i.complete && i.naturalWidth);  // a server-drawn chart
    if (charts.length < spec.charts || !charts.every(painted)) return false;
    const grids = all('[data-testid="stDataFrame"], div.pb-table');
    return grids.length >= spec.frames && grids.every(g => g.querySelector('[data-testid="data-grid-canvas"], table'));
  };
  // Read with textContent: innerText would force a layout of the page being built on every check,
  // and the measurement must not be what slows the page, least of all with 8 pages on 2 cores.
  const check = () => {
    const now = performance.now();
    if (marks.first === undefined && all('h1').some(h => h.textContent.includes(spec.title))) marks.first = now;
    if (marks.first !== undefined && drawn()) { marks.drawn = now; return; }
    setTimeout(check, 15);
  };
  check();
})();
"""


@dataclass
class Choice:
    """The form the scorecard and what-if pages open, and an edit that moves its total."""

    year: int
    unit: str
    project: str
    actual: str  # row 0's 实际完成值 as stored
    edited: str  # typed instead
    base_total: str  # 模拟后规则得分 before (fmt.score)
    new_total: str  # and after the edit

    def params(self) -> dict[str, str]:
        return {"year": str(self.year), "unit": self.unit, "project": self.project}


def choose_form(db: Path) -> Choice:
    """A current form of the newest year whose first indicator's actual, changed, moves the rule total."""
    from perfcore import fmt
    from perfcore.policy import DEFAULT_POLICY
    from perfcore.store import Filters, Store
    from perfcore.whatif import Change, what_if

    with Store(db) as store:  # read-write: a cached file of an older schema is upgraded (as the server would)
        years = store.summary_by(Filters(), by="year")["year"].dropna()
        table = store.forms_table(Filters(year=int(years.max())), limit=500)
        for row in table.itertuples():
            form = store.load_form(int(row.version_id))
            if not form.indicators or not isinstance(form.indicators[0].actual.value, str):
                continue
            actual = form.indicators[0].actual.value.strip()
            if not actual or "\n" in actual:
                continue
            for edited in ("0", actual + "0"):
                result = what_if(form, [Change("actual", 0, edited)], DEFAULT_POLICY)
                base, new = fmt.score(result.base.total), fmt.score(result.new.total)
                if base != new and new != "—":
                    return Choice(int(row.year), str(row.unit), str(row.project), actual, edited, base, new)
    raise RuntimeError(f"no form in {db} whose first actual moves the total")


class Session:
    """One browser context (its own Streamlit session) counting the websocket bytes it receives."""

    def __init__(self, browser, spec: PageSpec) -> None:
        from test_e2e_browser import VIEWPORT

        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.context.set_default_timeout(WAIT_MS)
        self.context.add_init_script(_MARKS_JS % json.dumps(asdict(spec), ensure_ascii=False))
        self.page = self.context.new_page()
        # Chromium's own count of the time its renderer's main thread spent on this page's tasks
        # (TaskDuration): the share of "drawn" that is the browser's work (with 8 renderers and the
        # server on 2 cores it includes waiting for a core).
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")
        self.bytes = 0
        self.frames = 0
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._count))

    def visit_app(self, root: str, times: int = 2) -> None:
        """Open the light upload page ``times``, as a leader who has used the app before.

        Twice: after one visit the scripts are in the HTTP cache, and Chromium keeps their compiled
        code (V8's code cache) only from a script's second load on; compiling them is most of a
        new browser's first second.
        """
        for _ in range(times):
            self.page.goto(f"{root}/upload")
            self.page.get_by_role("heading", name="上传与校验").wait_for()
            self.page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
        self.bytes = self.frames = 0

    def _count(self, payload: str | bytes) -> None:
        self.bytes += len(payload)
        self.frames += 1

    def wait_drawn(self) -> dict:
        """Wait until the page says it was drawn; its marks (ms from its navigation start) and bytes."""
        # polled every 100 ms, not every animation frame: raf polling would make each page draw 60
        # frames a second while it waits, which is the bench's work, not the page's
        self.page.wait_for_function("() => window.__pbMarks && window.__pbMarks.drawn !== undefined", polling=100)
        marks = self.page.evaluate("() => ({...window.__pbMarks, origin: performance.timeOrigin})")
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        return {"first_s": round(marks["first"] / 1000, 3), "drawn_s": round(marks["drawn"] / 1000, 3),
                "origin_ms": marks["origin"], "kb": round(self.bytes / 1024, 1), "frames": self.frames,
                "browser_cpu_s": round(metrics.get("TaskDuration", 0.0), 3)}

    def close(self) -> None:
        self.context.close()


class TimingLog:
    """The server's per-run timing file (PERFBOARD_TIMING): the runs logged since the last mark.

    The server is the file's only writer and creates it with its first line; this reader never
    creates or empties it. Each server gets a file of its own (``server_log``), so a line a
    stopping server still writes never lands among the next server's runs.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def since_mark(self) -> list[dict]:
        """The whole lines logged since the last call (none while the server has not written one;
        a line still being written waits for the next call)."""
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:  # the server has not finished a run yet
            return []
        whole = data[:data.rfind(b"\n") + 1]
        self.offset += len(whole)
        return [json.loads(line) for line in whole.decode("utf-8").splitlines() if line.strip()]

    def runs_of(self, title: str, sessions: int, timeout: float = WAIT_MS / 1000) -> list[dict]:
        """The runs of page ``title`` since the mark, once ``sessions`` sessions have each logged one.

        The server writes a run's line after its last message reached the browser, so a page
        can be drawn before its line lands (or before the file exists): wait for the lines, up to
        ``timeout`` seconds, then fail saying what is missing (never return a short count).
        """
        runs: list[dict] = []
        deadline = time.monotonic() + timeout
        while True:
            runs += [r for r in self.since_mark() if r["page"] == title]
            if len({r["session"] for r in runs}) >= sessions:
                return runs
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.path}: {len(runs)} runs of {title} from "
                                   f"{len({r['session'] for r in runs})} sessions after {timeout:.0f} s, "
                                   f"expected {sessions} sessions")
            time.sleep(0.05)  # polling the file for the condition above, bounded by the deadline


@contextmanager
def server_log(db: Path, tmp: Path, name: str) -> Iterator[tuple[str, TimingLog]]:
    """A fresh app server on ``db`` that logs its runs to a file of its own in ``tmp``; (URL, its log)."""
    from test_e2e_browser import running_app

    path = tmp / f"timing-{name}.jsonl"
    if path.exists():
        raise FileExistsError(path)  # each server its own file: never read another server's lines
    os.environ[TIMING_ENV] = str(path)
    try:
        with running_app(db) as url:
            yield url, TimingLog(path)
    finally:
        os.environ.pop(TIMING_ENV, None)


def _summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)} if values else {}


def open_together(browser, url: str, spec: PageSpec, n: int, log: TimingLog, returning: str = "") -> dict:
    """N sessions navigate to the page at once; per-session marks, the spread, and the server's runs.

    ``returning``: the app's root address; each browser first opens the app twice (scripts cached, compiled).
    """
    sessions = [Session(browser, spec) for _ in range(n)]
    for s in sessions if returning else ():
        s.visit_app(returning)
    log.since_mark()
    try:
        for s in sessions:  # "commit": the HTML arrived; the page then draws while the next one starts
            s.page.goto(url, wait_until="commit")
        per = [s.wait_drawn() for s in sessions]
        runs = log.runs_of(spec.title, n)
    finally:
        for s in sessions:
            s.close()
    start = min(p["origin_ms"] for p in per)
    last = max(p["origin_ms"] + p["drawn_s"] * 1000 for p in per)
    return {
        "sessions": n,
        "first_s": _summary([p["first_s"] for p in per]),
        "drawn_s": _summary([p["drawn_s"] for p in per]),
        "all_drawn_s": round((last - start) / 1000, 3),
        "start_spread_s": round((max(p["origin_ms"] for p in per) - start) / 1000, 3),
        "kb": _summary([p["kb"] for p in per]),
        "browser_cpu_s": _summary([p["browser_cpu_s"] for p in per]),
        "server_s": _summary([r["seconds"] for r in runs]),
        "server_runs": len(runs),
        "server_outcomes": dict(Counter(r["outcome"] for r in runs)),  # ok, RerunException, StopException
        "server_sessions": len({r["session"] for r in runs}),
        "per_session": [{k: v for k, v in p.items() if k != "origin_ms"} for p in per],
    }


def edits(browser, url: str, choice: Choice, n_edits: int, log: TimingLog) -> dict:
    """Type a new actual, then the old one again, ``n_edits`` times each: ms from Enter to the new total."""
    from test_e2e_browser import _open_first_actual

    session = Session(browser, PAGES["whatif"])
    try:
        session.page.goto(url)
        session.wait_drawn()
        steps = [(choice.actual, choice.edited, choice.new_total), (choice.edited, choice.actual, choice.base_total)]
        times, kbs = [], []
        log.since_mark()
        for current, typed, total in steps * n_edits:
            editor = _open_first_actual(session.page, current)
            editor.fill(typed)
            before = session.bytes
            editor.press("Enter")
            ms = session.page.wait_for_function(
                """([label, value]) => {
                     const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
                       .find(m => m.innerText.includes(label));
                     const v = m && m.querySelector('[data-testid="stMetricValue"]');
                     return v && v.innerText.trim() === value ? performance.now() - window.__pbEnter : null;
                   }""", arg=["模拟后规则得分", total], polling="raf").json_value()
            times.append(round(ms, 1))
            session.page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
            kbs.append(round((session.bytes - before) / 1024, 1))
        runs = log.since_mark()
    finally:
        session.close()
    return {"edits": len(times), "ms": _summary(times), "runs_ms": times, "kb": _summary(kbs),
            "server_full_runs": len(runs), "server_s": _summary([r["seconds"] for r in runs])}


def bench_size(browser, db: Path, pages: list[str], sessions: list[int], n_edits: int, tmp: Path,
               returning: bool) -> dict:
    choice = choose_form(db)
    result: dict = {"form": asdict(choice), "pages": {}}
    for key in pages:
        spec = PAGES[key]
        query = f"?{urlencode(choice.params())}" if spec.deep_link else ""
        page_result: dict = {}
        with server_log(db, tmp, key) as (url, log):
            address = f"{url}/{spec.path}{query}"
            page_result["cold_1"] = open_together(browser, address, spec, 1, log)
            page_result["warm_1"] = open_together(browser, address, spec, 1, log)
            for n in sessions:
                page_result[f"warm_{n}"] = open_together(browser, address, spec, n, log)
            if returning:  # the same, with the app's scripts already in each browser's cache
                for n in [1, *sessions[-1:]]:
                    page_result[f"returning_{n}"] = open_together(browser, address, spec, n, log, returning=url)
            if key == "whatif" and n_edits:
                page_result["edit"] = edits(browser, address, choice, n_edits, log)
        if sessions:
            with server_log(db, tmp, f"{key}-restart") as (url, log):  # N leaders open the page before anyone warmed it
                page_result[f"cold_{max(sessions)}"] = open_together(
                    browser, f"{url}/{spec.path}{query}", spec, max(sessions), log)
        result["pages"][key] = page_result
        _print_page(spec, page_result)
    return result


def _print_page(spec: PageSpec, result: dict) -> None:
    for name, r in result.items():
        if name == "edit":
            print(f"   {spec.title} edit → new total: median {r['ms']['median']:.0f} ms, max {r['ms']['max']:.0f} ms "
                  f"({r['edits']} edits), {r['kb']['median']} KB per edit, full reruns {r['server_full_runs']}",
                  flush=True)
            continue
        print(f"   {spec.title} {name:>7}: first {r['first_s']['median']:.2f} s, drawn {r['drawn_s']['median']:.2f} s "
              f"(max {r['drawn_s']['max']:.2f}), all drawn {r['all_drawn_s']:.2f} s, server "
              f"{r['server_s'].get('median', float('nan')):.2f} s (max {r['server_s'].get('max', float('nan')):.2f}, "
              f"{r['server_runs']} runs), browser busy {r['browser_cpu_s']['median']:.2f} s, {r['kb']['median']} KB",
              flush=True)


def markdown(results: dict) -> str:
    """The README tables of one run."""
    meta = results["meta"]
    m = meta["machine"]
    lines = [f"Run {meta['date']} at `{meta['commit']}`: {m['nproc']} cores {m['cpu']}, {m['memory_gb']} GB, "
             f"Python {m['python']}; load average before / after {meta['load_before'][0]:.2f} / "
             f"{meta['load_after'][0]:.2f}.", "",
             "| forms | page | run | first (median) | drawn (median / max) | all drawn | server run (median / max) "
             "| browser busy (median) | KB per session |", "|---|---|---|---|---|---|---|---|---|"]
    edits_rows = []
    for size, sized in results["sizes"].items():
        for key, page in sized["pages"].items():
            for name, r in page.items():
                if name == "edit":
                    edits_rows.append(f"| {int(size):,} | {r['ms']['median']:.0f} ms / {r['ms']['max']:.0f} ms "
                                      f"| {r['edits']} | {r['kb']['median']} | {r['server_full_runs']} |")
                    continue
                server = r["server_s"]
                cpu = f"{r['browser_cpu_s']['median']:.2f} s" if r.get("browser_cpu_s") else "—"  # older runs: none
                lines.append(
                    f"| {int(size):,} | {PAGES[key].title} | {name.replace('_', ' ×')} | {r['first_s']['median']:.2f} s "
                    f"| {r['drawn_s']['median']:.2f} / {r['drawn_s']['max']:.2f} s | {r['all_drawn_s']:.2f} s "
                    f"| {server.get('median', 0):.2f} / {server.get('max', 0):.2f} s ({r['server_runs']} runs) "
                    f"| {cpu} | {r['kb']['median']:,.1f} |")
    if edits_rows:
        lines += ["", "| forms | 模拟测算 edit → new total (median / max) | edits | KB per edit | full page reruns |",
                  "|---|---|---|---|---|", *edits_rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", default="10000,100000", help="database sizes (comma list)")
    parser.add_argument("--pages", default=",".join(DEFAULT_PAGES), help="comma list of " + ", ".join(PAGES))
    parser.add_argument("--sessions", default="4,8", help="sessions opened together, after one warm session")
    parser.add_argument("--edits", type=int, default=5, help="what-if edits (each: a new actual, then the old)")
    parser.add_argument("--no-returning", action="store_true",
                        help="skip the runs whose browsers have the app's scripts cached already")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="processes for generating a missing database")
    parser.add_argument("--exact-cache", action="store_true", help="rebuild databases built by older perfcore sources")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--markdown", type=Path, metavar="JSON", help="print the tables of an earlier run and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))), end="")
        return 0
    from playwright.sync_api import sync_playwright
    from test_e2e_browser import CHROMIUM, CHROMIUM_ARGS

    bench_run.REUSE_ANY = not args.exact_cache
    sizes = [int(s) for s in args.forms.split(",") if s.strip()]
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    sessions = [int(s) for s in args.sessions.split(",") if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    results: dict = {"meta": {"date": datetime.now().isoformat(timespec="seconds"), "commit": commit,
                              "machine": bench_run.machine(), "load_before": os.getloadavg(),
                              "args": {k: str(v) for k, v in vars(args).items()}}, "sizes": {}}
    print(f"perfboard browser bench — {results['meta']['date']}, load {results['meta']['load_before'][0]:.2f}",
          flush=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size in sizes:
                db, built = bench_run.stored_db(args.out, size, args.seed, args.workers)
                print(f"\n== {size:,} forms ({db.name}{f', built in {built:.0f} s' if built else ''})", flush=True)
                with tempfile.TemporaryDirectory(prefix="perfboard-bench-") as tmp:  # this run's own timing files
                    results["sizes"][str(size)] = bench_size(browser, db, pages, sessions, args.edits, Path(tmp),
                                                             not args.no_returning)
        finally:
            browser.close()
    results["meta"]["load_after"] = os.getloadavg()
    text = json.dumps(results, ensure_ascii=False, indent=2)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.out / f"browser-{stamp}.json").write_text(text, encoding="utf-8")
    (args.out / "browser-latest.json").write_text(text, encoding="utf-8")
    print("\n" + markdown(results))
    print(f"JSON: {args.out / 'browser-latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
