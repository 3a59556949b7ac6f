"""`python -m perfcore` as a user runs it: real workbooks, a real database file, a subprocess each."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK
from perfcore.store import LOCKED_MESSAGE, Store
from perfcore.writer import write_forms
from tests.formfactory import Row, clean_rows, make_form
from tests.sigint_child import WAIT_SECONDS

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, *args: str, db: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in tmp_path with PERFBOARD_DB pointing there (the repo's database is never touched);
    ``stdin`` is what it reads from standard input (a password)."""
    env = {**os.environ, "PERFBOARD_DB": str(db or tmp_path / "env.duckdb"), "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PERFCORE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "perfcore", *map(str, args)],
        cwd=tmp_path, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120, input=stdin,
    )


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


@pytest.fixture
def books(tmp_path: Path) -> dict[str, Path]:
    """good.xlsx (two clean forms), changed.xlsx (one of them with a missed target), bad.xlsx (not a workbook)."""
    a, b = make_form(project="项目甲"), make_form(project="项目乙")
    missed = make_form([*clean_rows()[:-1], Row("服务对象满意度", ">=90%", "45%", 10, level1="满意度指标")],
                       project="项目甲")
    paths = {name: tmp_path / f"{name}.xlsx" for name in ("good", "changed", "bad")}
    write_forms([a, b], paths["good"])
    write_forms([missed], paths["changed"])
    paths["bad"].write_text("项目名称,金额\n", encoding="utf-8")
    return paths


def test_parse_json_prints_forms_and_errors(tmp_path: Path, books: dict[str, Path]) -> None:
    proc = run(tmp_path, "parse", books["good"], books["bad"], "--json")
    no_traceback(proc)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert [f["project"] for f in out["forms"]] == ["项目甲", "项目乙"]
    first = out["forms"][0]
    assert first["source"]["file"] == "good.xlsx" and first["year"] == 2021 and first["unit"] == "测试实施单位"
    assert first["funds"]["total"] == {"initial": 100000.0, "budget": 100000.0, "executed": 100000.0}
    assert first["execution"] == {"weight": 10.0, "rate": 1.0, "declared_score": 10.0}
    assert [(i["name"], i["weight"]) for i in first["indicators"]] == [(r.name, r.weight) for r in clean_rows()]
    assert first["total"] == {"weight": 100.0, "declared_score": 100.0}
    assert [(e["file"], e["code"]) for e in out["errors"]] == [("bad.xlsx", "not_a_workbook")]
    assert run(tmp_path, "parse", books["good"], "--json").returncode == 0


def test_parse_json_gives_the_seed_figures() -> None:
    proc = run(Path(SHEETS_WORKBOOK).parent, "parse", SHEETS_WORKBOOK, STACKED_WORKBOOK, "--json")
    assert proc.returncode == 0, proc.stderr
    forms = json.loads(proc.stdout)["forms"]
    assert len(forms) == 10 and json.loads(proc.stdout)["errors"] == []
    window = [f for f in forms if f["project"] == "窗口业务管理"]
    assert [f["source"]["file"] for f in window] == [SHEETS_WORKBOOK.name, STACKED_WORKBOOK.name]
    for f in window:
        assert f["funds"]["total"] == {"initial": 3596500.0, "budget": 802257.18, "executed": 802257.18}
        assert f["total"]["declared_score"] == 98.0


def test_parse_summary_is_readable(tmp_path: Path, books: dict[str, Path]) -> None:
    proc = run(tmp_path, "parse", books["good"], books["bad"])
    assert proc.returncode == 1
    assert "文件“good.xlsx”：2 张自评表" in proc.stdout
    assert "2021年 测试实施单位 · 项目乙" in proc.stdout and "100,000.00 元" in proc.stdout
    assert "bad.xlsx" in proc.stderr and "不是 Excel 工作簿" in proc.stderr
    no_traceback(proc)


def test_score_json_shows_the_rule_scores(tmp_path: Path) -> None:
    proc = run(tmp_path, "score", SHEETS_WORKBOOK, "--json")
    assert proc.returncode == 0, proc.stderr
    window = next(f for f in json.loads(proc.stdout)["forms"] if f["project"] == "窗口业务管理")
    assert window["total"]["score"] == 92.01 and window["grade"] == "优" and window["difference"] == 5.99
    missed = [i for i in window["indicators"] if i["status"] == "missed"]
    assert [(i["score"], i["cell"]) for i in missed] == [(0.76, "窗口业务管理!D13"), (5.25, "窗口业务管理!D14")]
    assert "3146" in missed[0]["explanation"]
    assert [(f["code"], f["cell"]) for f in window["findings"] if f["severity"] == "error"] == [
        ("C09", "窗口业务管理!D13"), ("C09", "窗口业务管理!D14"),
    ]
    assert run(tmp_path, "score", SHEETS_WORKBOOK, "--policy", "没有这个规则").returncode == 2


def test_check_exits_1_on_error_findings_only(tmp_path: Path, books: dict[str, Path]) -> None:
    seed = run(tmp_path, "check", SHEETS_WORKBOOK)
    assert seed.returncode == 1
    assert "规则总分 92.01（优）" in seed.stdout and "C09" in seed.stdout and "D13" in seed.stdout
    clean = run(tmp_path, "check", books["good"])
    assert clean.returncode == 0, clean.stdout
    assert "【项目甲】" in clean.stdout


def test_import_reports_stored_skipped_replaced(tmp_path: Path, books: dict[str, Path]) -> None:
    db = tmp_path / "cli.duckdb"
    first = run(tmp_path, "import", books["good"], "--db", db, "--user", "张三")
    assert first.returncode == 0, first.stderr
    assert "文件“good.xlsx”：新增 2 张，替换 0 张，跳过 0 张" in first.stdout
    again = run(tmp_path, "import", books["good"], "--db", db)
    assert "新增 0 张，替换 0 张，跳过 2 张" in again.stdout and "已于第 1 次导入" in again.stdout
    changed = run(tmp_path, "import", books["bad"], books["changed"], "--db", db, "--user", "李四")
    assert changed.returncode == 1
    assert "文件“changed.xlsx”：新增 0 张，替换 1 张" in changed.stdout
    assert "bad.xlsx" in changed.stderr and "未导入" in changed.stderr
    no_traceback(changed)
    with Store(db, read_only=True) as store:
        assert store.count_forms() == 2
        assert list(store.history(2021, "测试实施单位", "项目甲")["version_no"]) == [2, 1]
        audit = store.audit_table()
        assert list(zip(audit["action"], audit["user"], audit["file_name"], strict=True)) == [
            ("replace", "李四", "changed.xlsx"), ("import", "张三", "good.xlsx"),
        ]
        assert store.forms_table().set_index("project").loc["项目甲", "rule_total"] == 95.0


def test_import_json_and_a_folder_argument(tmp_path: Path, books: dict[str, Path]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    books["good"].rename(folder / "good.xlsx")
    proc = run(tmp_path, "import", folder, "--json")  # no --db: PERFBOARD_DB is used
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [(f["file"], f["status"], len(f["stored"])) for f in out["files"]] == [("good.xlsx", "imported", 2)]
    assert (tmp_path / "env.duckdb").exists()


def test_import_into_a_locked_database_says_so_in_chinese(tmp_path: Path, books: dict[str, Path]) -> None:
    db = tmp_path / "held.duckdb"
    with Store(db):  # this process holds the file, as the running app would
        proc = run(tmp_path, "import", books["good"], "--db", db)
        seed = run(tmp_path, "seed", db=db)
    assert proc.returncode == 2 and seed.returncode == 2
    assert LOCKED_MESSAGE in proc.stderr and LOCKED_MESSAGE in seed.stderr
    no_traceback(proc)


def test_seed_if_empty_imports_the_samples_once(tmp_path: Path) -> None:
    db = tmp_path / "seed.duckdb"
    first = run(tmp_path, "seed", "--if-empty", db=db)
    assert first.returncode == 0, first.stderr
    assert "新增 5 张" in first.stdout and "跳过 5 张" in first.stdout  # the stacked workbook holds the same forms
    second = run(tmp_path, "seed", "--if-empty", db=db)
    assert second.returncode == 0 and "已有 5 张自评表" in second.stdout
    with Store(db, read_only=True) as store:
        assert store.count_forms() == 5
        assert set(store.audit_table()["user"]) == {"示例数据"}
        assert store.dept_summary()["mean_score"] == pytest.approx((4 * 100 + 92.01) / 5)


def test_template_and_help(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "模板.xlsx"
    proc = run(tmp_path, "template", out)
    assert proc.returncode == 0 and out.exists()
    assert openpyxl.load_workbook(out).worksheets[0]["A1"].value == "财政项目支出绩效自评表"
    help_text = run(tmp_path, "--help").stdout
    assert "导入数据库" in help_text and "选项" in help_text
    wrong = run(tmp_path, "frobnicate")
    assert wrong.returncode == 2 and "参数错误" in wrong.stderr


def test_backup_and_restore_commands(tmp_path: Path, books: dict[str, Path]) -> None:
    db = tmp_path / "live.duckdb"
    assert run(tmp_path, "import", books["good"], "--db", db).returncode == 0
    backup = run(tmp_path, "backup", tmp_path / "bk", "--db", db)
    assert backup.returncode == 0 and "已备份 2 张" in backup.stdout
    restored = run(tmp_path, "restore", tmp_path / "bk", "--db", tmp_path / "new.duckdb")
    assert restored.returncode == 0 and "2 张当前自评表" in restored.stdout
    with Store(tmp_path / "new.duckdb", read_only=True) as store:
        assert sorted(store.forms_table()["project"]) == ["项目乙", "项目甲"]
    refused = run(tmp_path, "restore", tmp_path / "bk", "--db", db)
    assert refused.returncode == 2 and "已存在" in refused.stderr
    no_traceback(refused)


def _await_line(fd: int, child: subprocess.Popen[str], seconds: float) -> str:
    """The first line the child writes to the pipe ``fd``, waiting at most ``seconds``
    (and not at all once the child has exited or closed the pipe without writing it)."""
    import select
    import time

    def fail(why: str) -> None:
        stderr = child.stderr.read() if child.poll() is not None and child.stderr else ""
        raise AssertionError(f"no handshake from the import: {why}\n{stderr}")

    data, deadline = b"", time.monotonic() + seconds
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            fail(f"nothing within {seconds} s")
        if select.select([fd], [], [], min(left, 1.0))[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                fail("it closed the pipe first")
            data += chunk
        elif child.poll() is not None:
            fail(f"it ended first (exit {child.returncode})")
    return data.decode().split("\n", 1)[0]


@pytest.mark.slow
def test_ctrl_c_stops_an_import_cleanly_and_a_rerun_finishes_it(tmp_path: Path, assert_whole_forms) -> None:
    """Ctrl-C (SIGINT to the terminal's process group, workers included) mid-import: a Chinese
    message, no traceback, only whole files stored; the same command again completes the import.

    Midway by a handshake, not a sleep: the interrupted run is the CLI entry point with a hook
    (tests/sigint_child.py) that, once the first batch has committed, reports it on a pipe and
    blocks until the signal arrives, so the signal always lands with files stored and files to go.
    """
    import signal
    import zipfile

    from perfcore.synth import make_form as synth_form

    originals = []
    for k in range(2):
        path = tmp_path / f"unit{k}.xlsx"
        write_forms([synth_form(k * 10 + i) for i in range(10)], path)
        originals.append(path.read_bytes())
    folder = tmp_path / "inbox"
    folder.mkdir()
    for n in range(160):  # distinct bytes (zip comment), the same two sets of forms
        copy = folder / f"copy{n:03d}.xlsx"
        copy.write_bytes(originals[n % 2])
        with zipfile.ZipFile(copy, "a") as book:
            book.comment = f"copy {n}".encode()
    db = tmp_path / "ctrl-c.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PERFCORE_DEBUG", None)
    workers = 2  # the real path: reading and scoring in forked worker processes, on any machine
    args = ["import", str(folder), "--db", str(db), "--workers", str(workers)]
    handshake, child_end = os.pipe()
    try:
        child = subprocess.Popen([sys.executable, "-m", "tests.sigint_child", str(child_end), *args],
                                 cwd=tmp_path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True,
                                 pass_fds=[child_end])
        os.close(child_end)
        try:
            said = _await_line(handshake, child, seconds=WAIT_SECONDS).split()  # "committed FILES workers N"
            assert said[0] == "committed" and said[2] == "workers", said
            committed, alive = int(said[1]), int(said[3])
            os.killpg(child.pid, signal.SIGINT)  # the child is blocked right after its first commit
            # stdin stays open till it exits (closing it must not race the signal); a child the
            # signal missed gives up after its own WAIT_SECONDS and says so on stderr
            child.wait(timeout=WAIT_SECONDS + 30)
            out, err = child.communicate()
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.communicate()
    finally:
        os.close(handshake)
    assert child.returncode == 130, err
    assert "已中断" in err and "Traceback" not in err + out
    # the workers were reading when the signal came (unless this machine cannot start them at all)
    assert alive == workers or "import worker died or could not start" in err, (alive, err)
    with Store(db) as store:
        imports = store.imports_table()
        assert 0 < committed < 160 and len(imports) == committed  # the committed batch, nothing after it
        assert (imports["n_forms"] == 10).all()  # whole files only
        assert_whole_forms(store)
    again = subprocess.run([sys.executable, "-m", "perfcore", *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert again.returncode == 0, again.stderr
    with Store(db) as store:
        assert len(store.imports_table()) == 160 and store.count_forms() == 20
        assert_whole_forms(store)


# --- accounts (python -m perfcore user ...) --------------------------------------------------


def test_user_commands_manage_accounts_without_showing_passwords(tmp_path: Path, books: dict[str, Path]) -> None:
    import getpass

    db = tmp_path / "users.duckdb"
    password = "管理员的密码足够长也可以很长很长很长"
    empty = run(tmp_path, "user", "list", "--db", db)
    assert empty.returncode == 0 and "本机单用户模式" in empty.stdout
    # the first account must be an administrator (else nobody could manage accounts in the app)
    early = run(tmp_path, "user", "add", "乙", "--role", "viewer", "--password-stdin", "--db", db, stdin=password)
    assert early.returncode == 2 and "请先新建管理员账号" in early.stderr
    first = run(tmp_path, "user", "add", "管理员", "--role", "admin", "--password-stdin", "--db", db, stdin=password + "\n")
    assert first.returncode == 0, first.stderr
    assert "已新建账号：管理员（管理 · 全部单位）" in first.stdout and "已启用登录" in first.stdout
    # a command-line import names the OS user unless --user is given; its units may then be a scope
    assert run(tmp_path, "import", books["good"], "--db", db, "--workers", "1").returncode == 0
    second = run(tmp_path, "user", "add", "甲填报", "--role", "uploader", "--unit", "测试实施单位",
                 "--department", "测试主管部门", "--password-stdin", "--db", db, "--user", "张三", stdin="甲的密码-abc-12345")
    assert second.returncode == 0, second.stderr
    assert "已启用登录" not in second.stdout
    listing = run(tmp_path, "user", "list", "--json", "--db", db)
    accounts = json.loads(listing.stdout)["accounts"]
    assert [(a["name"], a["role"], a["role_label"], a["departments"], a["units"], a["disabled"], a["locked"])
            for a in accounts] == [("甲填报", "uploader", "填报", ["测试主管部门"], ["测试实施单位"], False, False),
                                   ("管理员", "admin", "管理", [], [], False, False)]
    assert "hash" not in listing.stdout and "argon2" not in listing.stdout
    assert "甲填报\tuploader（填报）\t主管部门：测试主管部门；实施单位：测试实施单位\t可用" in run(
        tmp_path, "user", "list", "--db", db).stdout
    assert run(tmp_path, "user", "set-password", "甲填报", "--password-stdin", "--db", db,
               stdin="新的密码-新的密码-1").returncode == 0
    assert run(tmp_path, "user", "disable", "甲填报", "--db", db).returncode == 0
    assert run(tmp_path, "user", "enable", "甲填报", "--db", db).returncode == 0
    assert run(tmp_path, "user", "unlock", "甲填报", "--db", db).returncode == 0
    # refusals: no --password-stdin, a weak password, an unknown role, an existing name (also behind an
    # invisible character), an unknown account, a blank or unknown unit, the last administrator disabled
    missing = run(tmp_path, "user", "add", "乙", "--role", "viewer", "--db", db)
    assert missing.returncode == 2 and "--password-stdin" in missing.stderr
    short = run(tmp_path, "user", "add", "乙", "--role", "viewer", "--password-stdin", "--db", db, stdin="短")
    assert short.returncode == 2 and "密码至少 10 个字符（现在 1 个）" in short.stderr
    for weak, why in (("12345678", "至少 10 个字符"), (" " * 12, "不能为空"), ("abcdefghijk", "连续"), ("1234567890", "常见密码"),
                      ("Password123", "常见密码"), ("aaaaaaaaaaaa", "同一个字符")):
        refused = run(tmp_path, "user", "add", "乙", "--role", "viewer", "--password-stdin", "--db", db, stdin=weak)
        assert refused.returncode == 2 and why in refused.stderr, (weak, refused.stderr)
    assert run(tmp_path, "user", "add", "乙", "--role", "boss", "--password-stdin", "--db", db, stdin=password).returncode == 2
    for same in ("管理员", "管理员\u200b", " 管理员 "):
        again = run(tmp_path, "user", "add", same, "--role", "admin", "--password-stdin", "--db", db, stdin=password)
        assert again.returncode == 2 and "账号“管理员”已存在" in again.stderr, again.stderr
    unknown = run(tmp_path, "user", "disable", "没有这个人", "--db", db)
    assert unknown.returncode == 2 and "没有账号“没有这个人”" in unknown.stderr
    blank = run(tmp_path, "user", "add", "乙", "--role", "viewer", "--unit", "", "--password-stdin", "--db", db,
                stdin=password)
    assert blank.returncode == 2 and "实施单位名称不能为空" in blank.stderr
    nowhere = run(tmp_path, "user", "add", "乙", "--role", "viewer", "--unit", "测试实施单", "--password-stdin",
                  "--db", db, stdin=password)
    assert nowhere.returncode == 2 and "没有实施单位“测试实施单”（相近的名称：测试实施单位）" in nowhere.stderr
    last = run(tmp_path, "user", "disable", "管理员", "--db", db)
    assert last.returncode == 2 and "唯一可用的管理员账号" in last.stderr
    with Store(db, read_only=True) as store:
        log = store.audit_table()
        imported = log[log["action"] == "import"]
        assert list(imported["user"]) == [getpass.getuser()]
        changes = log[log["action"] == "account"]
        assert len(changes) == 6 and list(changes["user"])[::-1][1] == "张三"
        assert {a["name"] for a in store.accounts()} == {"管理员", "甲填报"}
    data = db.read_bytes()
    for secret in (password, "甲的密码-abc-12345", "新的密码-新的密码-1"):
        assert secret.encode() not in data
    for proc in (first, second, listing, missing, short, blank, nowhere, last):
        assert password not in proc.stdout + proc.stderr
        no_traceback(proc)


def test_user_commands_while_the_app_holds_the_database_point_to_the_accounts_tab(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    password = "管理员的密码足够长也可以很长很长很长"
    with Store(db):  # this process holds the file, as the running app does
        procs = [run(tmp_path, "user", "list", "--db", db),
                 run(tmp_path, "user", "add", "管理员", "--role", "admin", "--password-stdin", "--db", db, stdin=password),
                 run(tmp_path, "user", "unlock", "管理员", "--db", db)]
    for proc in procs:
        assert proc.returncode == 2, proc.stderr
        assert "看板正在运行" in proc.stderr and "数据管理 → 账号管理" in proc.stderr and str(db) in proc.stderr
        assert password not in proc.stdout + proc.stderr
        no_traceback(proc)
    with Store(db) as store:  # once the app has stopped, the same command works
        assert store.count_accounts() == 0
    again = run(tmp_path, "user", "add", "管理员", "--role", "admin", "--password-stdin", "--db", db, stdin=password)
    assert again.returncode == 0, again.stderr


# --- issue 19: no traceback on any stream, every exit code documented ------------------------------

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
NATIVE_NOISE = ("Traceback", "panicked", "memory allocation", "RUST_BACKTRACE", "Fatal Python error", "Error:")


@pytest.mark.parametrize("name, code, says", [
    ("formula_string_bomb.xlsx", 1, "单元格 A12：公式没有保存计算结果"),
    ("formula_name_bomb.xlsx", 1, "读取本文件超出了资源限制"),
    ("weight_1e308.xlsx", 1, "单元格 G13：指标“项目计划完成率”的分值"),
    ("cached_spill_calc.xlsx", 0, "规则总分 100.00（优）"),  # the formula engine fails on it: silently
])
def test_hostile_files_get_a_chinese_answer_and_nothing_from_the_engine_on_any_stream(tmp_path, name, code, says):
    proc = run(tmp_path, "score", HOSTILE / name)
    assert proc.returncode == code
    for noise in NATIVE_NOISE:
        assert noise not in proc.stdout + proc.stderr
    assert says in proc.stdout + proc.stderr


FULL_DISK = r"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
from perfcore.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_rescore_on_a_full_disk_exits_2_with_a_chinese_message_and_keeps_the_database(tmp_path: Path) -> None:
    db = tmp_path / "full.duckdb"
    assert run(tmp_path, "seed", "--db", db).returncode == 0
    with Store(db) as store:
        before = store.count_forms()
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, "rescore", "--db", str(db), "--user", "测试"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("数据库错误：磁盘空间不足")
    assert "Traceback" not in proc.stderr and "IO Error" not in proc.stderr
    with Store(db) as store:
        assert store.count_forms() == before


def test_every_exit_code_the_cli_returns_is_in_the_readme_table() -> None:
    import re

    source = (ROOT / "perfcore" / "cli.py").read_text(encoding="utf-8")
    returned = {int(n) for n in re.findall(r"\breturn (\d+)\b", source)} | {2}  # argparse's own exit 2
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = {int(n) for n in re.findall(r"^\| `(\d+)` \|", readme, flags=re.M)}
    assert returned <= table, returned - table
