"""Command line: ``python -m perfcore parse|score|check|import|rescore|template|seed|backup|restore|user|export``.

Help and messages are Chinese.

Exit codes: 0 done; 1 some file could not be read / stored, or ``check`` found an
error-level finding; 2 the database is locked, unusable or from a newer perfboard (or the arguments are wrong).
Heavy modules are imported inside the commands so that start-up stays short.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from perfcore.accounts import ROLES
from perfcore.errors import ReadError, StoreError, StoreLockedError
from perfcore.vocab import year_label

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SEED_USER = "示例数据"


class _Parser(argparse.ArgumentParser):
    """argparse with Chinese section titles and error line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="perfcore", description="财政项目支出绩效自评表：读取、评分、审核、入库。")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令", parser_class=_Parser)

    def paths(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="+", metavar="PATH", help="工作簿文件（.xlsx/.xlsm/.xls/.ods）或其所在文件夹")

    def policy(p: argparse.ArgumentParser) -> None:
        p.add_argument("--policy", metavar="NAME", help="评分规则名称（默认：财预〔2020〕10号，上海两位小数）")

    def operator(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", default=None, metavar="NAME", help="操作人姓名（记入审计日志；默认：本机登录用户名）")

    def db(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", metavar="FILE", help="数据库文件（默认：环境变量 PERFBOARD_DB 或 data/perfboard.duckdb）")

    def taught(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", metavar="FILE",
                       help="按这个数据库里保存的对照（工作人员在看板中教过的表格布局）读取；不给则不用对照")

    p = sub.add_parser("parse", help="读取自评表并输出识别结果", description="读取自评表并输出识别结果。")
    paths(p)
    p.add_argument("--json", action="store_true", help='输出 JSON：{"forms": [...], "errors": [...]}')
    p.add_argument("--explain", action="store_true",
                   help="逐表说明读取情况：找到了哪些部分、在哪个单元格、缺少什么，每个表头候选标签所给角色及原因"
                        "（JSON 中为 reading 与 explain）")
    p.add_argument("--include-hidden", action="store_true", help="也读取隐藏的工作表")
    taught(p)

    p = sub.add_parser("score", help="按规则重新评分", description="按评分规则重新计算每项得分并给出审核意见。")
    paths(p)
    p.add_argument("--json", action="store_true", help="输出 JSON（识别结果加得分、说明、等级和审核意见）")
    policy(p)
    taught(p)

    p = sub.add_parser("check", help="审核自评表，输出审核报告", description="审核自评表；发现“错误”级问题时退出码为 1。")
    paths(p)
    policy(p)

    p = sub.add_parser("import", help="导入数据库", description="读取、评分并导入数据库；同一文件重复导入不会改变数据。")
    paths(p)
    db(p)
    operator(p)
    p.add_argument("--json", action="store_true", help="以 JSON 输出导入结果")
    p.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, metavar="N",
        help="读取和评分用的进程数（默认等于 CPU 核数；1 = 不开子进程）",
    )
    policy(p)

    p = sub.add_parser(
        "rescore", help="按现行规则重新评分已入库的表",
        description="按现行评分规则，从数据库中保存的自评表内容重新计算每个版本（含历史版本和已删除版本）的"
                    "规则得分、审核意见、等级和读取状态；一个事务完成，记入审计日志。",
    )
    db(p)
    operator(p)
    policy(p)

    p = sub.add_parser("template", help="生成空白自评表模板", description="按标准格式生成空白自评表模板。")
    p.add_argument("out", metavar="OUT.xlsx", help="输出文件")

    p = sub.add_parser("seed", help="导入示例数据", description="把 data/samples 中的示例自评表导入数据库。")
    db(p)
    p.add_argument("--if-empty", action="store_true", help="仅当数据库中还没有任何自评表时导入")

    p = sub.add_parser("backup", help="备份数据库", description="把整个数据库导出为 Parquet 文件（一个新目录）。")
    p.add_argument("folder", metavar="DIR", help="备份目录（须为新目录或空目录）")
    db(p)

    p = sub.add_parser(
        "export", help="导出评分卡或部门总览（PDF / Excel）",
        description="导出一张表的评分卡（--version-id），或按年度、主管部门、实施单位、等级筛选的部门总览。",
    )
    p.add_argument("format", choices=("pdf", "xlsx"), help="pdf = A4 打印版；xlsx = Excel 工作簿")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="输出文件")
    p.add_argument("--version-id", type=int, metavar="N", help="导出这个版本编号的评分卡（不给则导出部门总览）")
    p.add_argument("--year", action="append", metavar="YEAR", help="部门总览的年度，如 2021 或“未填年度”（可重复）")
    p.add_argument("--department", action="append", metavar="NAME", help="主管部门（可重复）")
    p.add_argument("--unit", action="append", metavar="NAME", help="实施单位（可重复）")
    p.add_argument("--grade", action="append", choices=("优", "良", "中", "差"), help="等级（可重复）")
    p.add_argument("--money", choices=("元", "万元"), default="元", help="金额单位（默认：元）")
    p.add_argument("--user", metavar="NAME", help="报表上的生成人（默认：当前系统用户）")
    db(p)
    policy(p)

    p = sub.add_parser("restore", help="从备份恢复数据库", description="从备份目录恢复出一个新的数据库文件（不会覆盖已有文件）。")
    p.add_argument("folder", metavar="DIR", help="备份目录")
    p.add_argument("--db", metavar="FILE", required=True, help="要创建的新数据库文件")

    p = sub.add_parser("user", help="管理账号", description="管理看板的登录账号。没有任何账号时看板以本机单用户模式运行；"
                       "创建第一个账号（须为管理员）后启用登录。密码只从标准输入读取，不会显示或记录。"
                       "看板运行时数据库由看板占用，这些命令会退出（退出码 2）：请改用看板“数据管理 → 账号管理”。")
    users = p.add_subparsers(dest="user_command", required=True, metavar="操作", parser_class=_Parser)

    def account_command(name: str, title: str, description: str, *, password: bool = False) -> argparse.ArgumentParser:
        """One `user` subcommand: NAME, the password from stdin when it sets one, --db and --user."""
        u = users.add_parser(name, help=title, description=description)
        u.add_argument("name", metavar="NAME", help="账号名称（登录名，也是操作日志里的姓名）")
        if password:
            u.add_argument("--password-stdin", action="store_true",
                           help="从标准输入读取密码（第一行；例如 printf '%%s' \"$PW\" | python -m perfcore user add …）")
        db(u)
        operator(u)
        return u

    u = account_command("add", "新建账号", "新建账号。范围（--department / --unit）可重复，须是已导入自评表中的名称；"
                        "不写表示全部单位。密码至少 10 个字符，不能是常见密码、连续或重复的字符。", password=True)
    u.add_argument("--role", required=True, choices=list(ROLES), help="角色：viewer 查看，uploader 填报，admin 管理")
    u.add_argument("--department", action="append", default=[], metavar="D", help="可查看和填报的主管部门（可重复）")
    u.add_argument("--unit", action="append", default=[], metavar="U", help="可查看和填报的实施单位（可重复）")
    account_command("set-password", "重设密码", "重设密码，同时解除锁定，并使该账号已有的登录失效。", password=True)
    account_command("disable", "停用账号", "停用账号：不能再登录，已有的登录立即失效。唯一可用的管理员不能停用。")
    account_command("enable", "启用账号", "重新启用已停用的账号（密码不变）。")
    account_command("unlock", "解除锁定", "解除因多次输错密码而加的锁定，并从零重新计数。")
    u = users.add_parser("list", help="列出账号", description="列出全部账号（不含密码）。")
    u.add_argument("--json", action="store_true", help='输出 JSON：{"accounts": [...]}')
    db(u)
    return parser




# --- helpers ----------------------------------------------------------------------------------


def expand_paths(paths: Sequence[str]) -> list[str]:
    """Folders become the workbooks inside them (sorted); anything else is kept as given."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(str(p) for p in path.iterdir() if p.suffix.lower() in WORKBOOK_SUFFIXES and p.is_file())
        else:
            out.append(raw)
    return out


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _open_store(db: str | None) -> Any:
    from perfcore.store import Store, default_db_path

    return Store(Path(db) if db else default_db_path())


def os_user() -> str:
    """Who runs the command, for the audit trail when no --user is given."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return ""


def _operator(args: argparse.Namespace) -> str:
    return args.user if args.user is not None else os_user()


def _layouts(db: str | None) -> list[Any]:
    """The mappings staff taught, from ``--db`` (opened read-only: reading never writes); none without it."""
    if not db:
        return []
    from perfcore.store import Store, StoreError

    if not Path(db).is_file():
        raise StoreError(f"数据库文件“{db}”不存在。")
    with Store(Path(db), read_only=True) as store:
        return store.reading_layouts()


def _read(paths: Sequence[str], include_hidden: bool = False, db: str | None = None) -> list[Any]:
    from perfcore.ingest import read_in_worker  # a confined process per file: a hostile one cannot kill this one

    layouts = _layouts(db)
    return [read_in_worker(path, include_hidden=include_hidden, layouts=layouts) for path in expand_paths(paths)]


def _errors(results: Sequence[Any]) -> list[ReadError]:
    return [r.error for r in results if r.error is not None]


def _where(form: Any) -> str:
    return f"{year_label(form.year)} {form.unit.value or '（未填实施单位）'} · {form.project.value or '（未填项目名称）'}"


def _print_file_header(result: Any) -> None:
    print(f"文件“{result.file}”：{len(result.forms)} 张自评表")
    for note in result.notes:
        print(f"  说明：{note}")


def _print_errors(errors: Sequence[ReadError]) -> None:
    for error in errors:
        print(f"错误：{error}", file=sys.stderr)


# --- commands -----------------------------------------------------------------------------------


def cmd_parse(args: argparse.Namespace) -> int:
    from perfcore import fmt
    from perfcore.reader import explain
    from perfcore.serialize import form_to_dict

    with explain.collect() as decisions:  # the confined worker sends its decisions back (ingest.read_in_worker)
        results = _read(args.paths, args.include_hidden, args.db)
    errors = _errors(results)
    cards = _score(results, None) if args.explain else []

    def header_decisions(form: Any) -> list[Any]:
        return explain.for_form(decisions, form.source.file, form.source.sheet, form.source.first_row)

    if args.json:
        forms = [form_to_dict(f) for r in results for f in r.forms]
        for form, card in zip(forms, cards):
            form["reading"] = card.reading.to_dict()
            form["explain"] = [d.to_dict() for d in header_decisions(card.form)]
        _print_json(
            {
                "forms": forms,
                "errors": [e.to_dict() for e in errors],
                "notes": [{"file": r.file, "note": n} for r in results for n in r.notes],
            }
        )
    elif args.explain:
        from perfcore.report import reading_text

        print("\n\n".join(f"{reading_text(card)}\n{explain.explain_text(header_decisions(card.form))}" for card in cards))
        for r in results:
            for note in r.notes:
                print(f"{r.file}：{note}")
        _print_errors(errors)
    else:
        for r in results:
            if r.error is not None:
                continue
            _print_file_header(r)
            for f in r.forms:
                total = f.fund("total")
                budget = fmt.money(total.budget.value if total else None, suffix=True)
                executed = fmt.money(total.executed.value if total else None, suffix=True)
                print(
                    f"  · {_where(f)}（工作表“{f.source.sheet}”第 {f.source.first_row} 行）："
                    f"全年预算数 {budget}，全年执行数 {executed}，"
                    f"指标 {len(f.indicators)} 项，自评总分 {fmt.score(f.total_declared.value)}"
                )
        _print_errors(errors)
    return 1 if errors else 0


def _score(results: Sequence[Any], policy_name: str | None) -> list[Any]:
    from perfcore.policy import get_policy
    from perfcore.scoring import score_form

    policy = get_policy(policy_name)
    return [score_form(f, policy) for r in results for f in r.forms]


def cmd_score(args: argparse.Namespace) -> int:
    from perfcore import fmt
    from perfcore.report import total_text
    from perfcore.serialize import scorecard_to_dict

    results = _read(args.paths, db=args.db)
    cards = _score(results, args.policy)
    errors = _errors(results)
    if args.json:
        _print_json({"forms": [scorecard_to_dict(sc) for sc in cards], "errors": [e.to_dict() for e in errors]})
    else:
        for sc in cards:
            print(
                f"{_where(sc.form)}：规则总分 {total_text(sc)}，"
                f"自评总分 {fmt.score(sc.declared_total)}，差额 {fmt.signed(sc.difference)}，"
                f"审核意见 {len(sc.findings)} 条"
            )
        _print_errors(errors)
    return 1 if errors else 0


def cmd_check(args: argparse.Namespace) -> int:
    from perfcore.report import scorecard_report

    results = _read(args.paths)
    cards = _score(results, args.policy)
    for sc in cards:
        print(scorecard_report(sc))
        print()
    errors = _errors(results)
    _print_errors(errors)
    has_error = any(f.severity == "error" for sc in cards for f in sc.findings)
    return 1 if errors or has_error else 0


def _print_report(done: Any) -> None:
    from perfcore.store.audit import name as version_name
    from perfcore.views import UNCHANGED

    if done.error is not None:
        print(f"错误：{done.error}（未导入）", file=sys.stderr)
        return
    rep = done.report
    line = f"文件“{done.name}”：新增 {len(rep.stored)} 张，替换 {len(rep.replaced)} 张，跳过 {len(rep.skipped)} 张"
    if rep.duplicate_of is not None:
        line += f"（此文件已于第 {rep.duplicate_of} 次导入中导入过，未作任何改动）"
    print(line)
    for label, items in (("新增", rep.stored), ("替换", rep.replaced), (f"跳过（{UNCHANGED}）", rep.skipped)):
        for it in items:
            print(f"  {label}：{version_name(it)}")
    for note in done.notes:
        print(f"  说明：{note}")


def cmd_import(args: argparse.Namespace) -> int:
    from perfcore.ingest import ingest_files, tune_gc_for_batch

    tune_gc_for_batch()
    with _open_store(args.db) as store:
        result = ingest_files(
            expand_paths(args.paths), store, user=_operator(args), policy=args.policy, workers=max(1, args.workers)
        )
    if args.json:
        _print_json(
            {
                "files": [
                    {
                        "file": f.name,
                        "status": f.report.status if f.report and not f.error else "failed",
                        "import_id": f.report.import_id if f.report else None,
                        "stored": f.report.stored if f.report else [],
                        "replaced": f.report.replaced if f.report else [],
                        "skipped": f.report.skipped if f.report else [],
                        "notes": f.notes,
                    }
                    for f in result.files
                ],
                "errors": [e.to_dict() for e in result.errors],
            }
        )
    else:
        for done in result.files:
            _print_report(done)
    return 0 if result.ok else 1


def cmd_rescore(args: argparse.Namespace) -> int:
    from perfcore.policy import get_policy

    if args.db and not Path(args.db).exists():
        raise StoreError(f"数据库文件“{args.db}”不存在。")
    policy = get_policy(args.policy)
    with _open_store(args.db) as store:
        report = store.rescore(policy, user=_operator(args))
    print(
        f"已重新评分 {report.n_versions} 个版本（评分规则“{policy.label}”，规则版本 {report.rules_version}）："
        f"{report.n_changed} 个有变化，其中总分、等级或读取状态变化 {report.n_totals_changed} 个。"
    )
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from perfcore.writer import write_template

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_template(out)
    print(f"已生成模板：{out}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from perfcore.ingest import ingest_files
    from perfcore.samples import sample_paths

    with _open_store(args.db) as store:
        if args.if_empty and store.count_forms() > 0:
            print(f"数据库中已有 {store.count_forms()} 张自评表，未导入示例数据。")
            return 0
        result = ingest_files(sample_paths(), store, user=SEED_USER)
    for done in result.files:
        _print_report(done)
    return 0 if result.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    with _open_store(args.db) as store:
        dest = store.backup(args.folder)
        print(f"已备份 {store.count_forms()} 张当前自评表（含全部历史版本与审计记录）到：{dest}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from perfcore.store import Store

    with Store.restore(args.folder, args.db) as store:
        print(f"已从“{args.folder}”恢复到“{args.db}”：{store.count_forms()} 张当前自评表。")
    return 0


def _password(args: argparse.Namespace) -> str:
    """The password from standard input (its first line): never an argument, never echoed."""
    if not args.password_stdin:
        raise ValueError("请用 --password-stdin 从标准输入提供密码（不要把密码写在命令行上）。")
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


USER_APP_RUNNING = ("看板正在运行，数据库文件（{path}）由它占用，命令行现在不能管理账号。"
                    "请在看板的“数据管理 → 账号管理”中操作（须以管理员登录；还没有账号时可直接在那里创建第一个管理员），"
                    "或先停止看板再运行本命令。")


def cmd_user(args: argparse.Namespace) -> int:
    """Account commands: they need the database to themselves (the app stopped); exit 0 done,
    2 refused (bad input, a rule, or the database held by the running app)."""
    from perfcore.store import default_db_path

    try:
        with _open_store(args.db) as store:
            return _user_command(args, store)
    except StoreLockedError:
        print(USER_APP_RUNNING.format(path=args.db or default_db_path()), file=sys.stderr)
        return 2
    except (ValueError, StoreError) as exc:  # a rule refused it: messages are Chinese
        print(str(exc), file=sys.stderr)
        return 2


def _user_command(args: argparse.Namespace, store: Any) -> int:
    from perfcore.accounts import Scope

    if args.user_command == "list":
        listing = store.accounts()
        if args.json:
            _print_json({"accounts": listing})
        elif not listing:
            print("还没有任何账号：看板以本机单用户模式运行。")
        for a in listing if not args.json else []:
            covers = Scope.of(a["departments"], a["units"]).label()
            state = "已停用" if a["disabled"] else (f"锁定至 {a['locked_until']}" if a["locked"] else "可用")
            print(f"{a['name']}\t{a['role']}（{a['role_label']}）\t{covers}\t{state}")
        return 0
    by = _operator(args)
    if args.user_command == "add":
        scope = Scope.typed(args.department, args.unit)  # ValueError for --unit ''
        if args.role != "admin" and not store.count_admins():
            raise ValueError("还没有可用的管理员账号：请先新建管理员账号（--role admin），"
                             "否则启用登录后没有人能在看板里管理账号。")
        account = store.add_account(args.name, args.role, scope, password=_password(args), by=by)
        first = store.count_accounts() == 1
        print(f"已新建账号：{account.label()}。" + ("看板已启用登录（此前为本机单用户模式）。" if first else ""))
    elif args.user_command == "set-password":
        store.set_password(args.name, _password(args), by=by)
        print(f"已重设账号“{args.name}”的密码，并解除锁定。")
    elif args.user_command == "disable":
        store.disable_account(args.name, by=by)
        print(f"已停用账号“{args.name}”。")
    elif args.user_command == "enable":
        store.enable_account(args.name, by=by)
        print(f"已启用账号“{args.name}”。")
    else:
        store.unlock_account(args.name, by=by)
        print(f"已解除账号“{args.name}”的锁定。")
    return 0


def _year_filter(raw: str) -> int | None:
    from perfcore.vocab import NO_YEAR

    text = raw.strip().removesuffix("年")
    if raw.strip() == NO_YEAR:
        return None
    if not text.isdigit():
        raise ValueError(f"年度“{raw}”无法识别：请写 2021 或“{NO_YEAR}”。")
    return int(text)


def cmd_export(args: argparse.Namespace) -> int:
    from perfcore.exports import excel
    from perfcore.exports.department import department_data, department_pdf
    from perfcore.exports.scorecard import scorecard_pdf
    from perfcore.exports.stamp import stamp
    from perfcore.store import Filters

    made = stamp(args.user)

    if args.db and not Path(args.db).exists():
        raise StoreError(f"数据库文件“{args.db}”不存在。")
    out = Path(args.out)
    with _open_store(args.db) as store:
        if args.version_id is not None:
            from perfcore.policy import get_policy
            from perfcore.scoring import score_form

            card = score_form(store.load_form(args.version_id), get_policy(args.policy))
            data = (scorecard_pdf(card, args.money, made=made) if args.format == "pdf"
                    else excel.scorecard_workbook(card, made=made))
            what = f"评分卡（{_where(card.form)}）"
        else:
            try:
                years = [_year_filter(y) for y in args.year] if args.year else None
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
            filters = Filters(year=years, department=args.department, unit=args.unit, grade=args.grade)
            n = store.count_forms(filters)
            if not n:
                print("没有符合筛选条件的自评表，未生成文件。", file=sys.stderr)
                return 1
            data = (department_pdf(store, filters, args.money, made=made) if args.format == "pdf"
                    else excel.department_workbook(department_data(store, filters), args.money, made=made))
            what = f"部门总览（{n} 张自评表）"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"已导出{what}：{out}（{len(data):,} 字节）")
    return 0


COMMANDS = {
    "parse": cmd_parse,
    "score": cmd_score,
    "check": cmd_check,
    "import": cmd_import,
    "rescore": cmd_rescore,
    "template": cmd_template,
    "seed": cmd_seed,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "user": cmd_user,
    "export": cmd_export,
}


def _database_error(exc: Exception) -> str:
    """A DuckDB failure the store did not translate, in Chinese: full disk first (the usual one)."""
    text = str(exc)
    if any(sign in text for sign in ("No space left", "File too large", "Disk full", "disk is full")):
        return ("数据库错误：磁盘空间不足（或文件超过系统允许的大小），写入失败；本次操作没有生效，"
                "数据库仍是操作前的状态。请腾出磁盘空间后重新运行同一命令。")
    return f"数据库错误：数据库操作失败（{type(exc).__name__}），本次操作没有生效；请稍后重试，仍失败请联系管理员。"


def _quiet_logs() -> None:
    """Library log lines (and any traceback they carry) never reach a user's terminal; the
    command prints its own Chinese messages. PERFCORE_DEBUG=1 shows everything."""
    import logging

    if os.environ.get("PERFCORE_DEBUG"):
        logging.basicConfig(level=logging.DEBUG)
    else:
        logging.getLogger().addHandler(logging.NullHandler())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_logs()
    if getattr(args, "policy", None):
        from perfcore.policy import get_policy

        try:
            get_policy(args.policy)
        except KeyError as exc:  # message already Chinese, lists the known names
            print(exc.args[0], file=sys.stderr)
            return 2
    try:
        return COMMANDS[args.command](args)
    except StoreLockedError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"数据库错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "已中断。已写入数据库的文件都是完整的（每个文件要么全部导入、要么未导入）；"
            "重新运行同一命令即可继续，已导入的文件会自动跳过。",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:  # output piped into head & co.: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        print(f"文件操作失败：{exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # never a traceback for users; PERFCORE_DEBUG=1 shows it
        if os.environ.get("PERFCORE_DEBUG"):
            raise
        import duckdb

        if isinstance(exc, duckdb.Error):  # e.g. a full disk during rescore: the store's own kind of failure
            print(_database_error(exc), file=sys.stderr)
            return 2
        print(f"出现意外错误（{type(exc).__name__}），本次操作没有完成；请把这行信息告诉管理员。", file=sys.stderr)
        return 3
