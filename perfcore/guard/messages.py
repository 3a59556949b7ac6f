"""Every Chinese message the guard shows, by code: what is wrong, then what to do.

One table so the wording stays consistent and a code always reads the same way.
"""
from __future__ import annotations

from perfcore.errors import ReadError
from perfcore.guard.limits import Limits, col_letters

MESSAGES: dict[str, str] = {
    "empty_file": "文件是空的（0 字节），可能上传或复制时出错；请重新导出自评表后上传",
    "too_large": "文件大小 {size}，超过上限 {limit}；请删除与自评表无关的工作表、图片，或拆分成几个文件后上传",
    "not_a_workbook": "文件不是 Excel 工作簿（看起来是{what}），{advice}",
    "unsupported_format": "这是 Excel 二进制工作簿（.xlsb），暂不支持；请在 Excel 中另存为 .xlsx 后上传",
    "truncated": "文件已损坏或不完整（{detail}），请重新导出或从原始来源重新下载后上传",
    "encrypted": "工作簿设置了打开密码，请在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后再上传",
    "zip_bomb": "文件解压后异常巨大（{detail}），不像是正常导出的工作簿，可能是恶意构造的文件，已拒绝读取；"
                "请确认文件来源，用 Excel 重新保存后再上传",
    "xml_entities": "文件内部的 {part} 含有 XML 实体 / DTD 声明（Excel 不会生成这种内容，可能是恶意构造的文件），"
                    "已拒绝读取；请用 Excel 打开后另存为新的 .xlsx 再上传",
    "too_many_sheets": "工作簿有 {count} 个工作表，超过上限 {limit} 个；请拆分成几个文件后上传",
    "too_many_rows": "工作表第 {row} 行仍有内容，超过上限 {limit} 行；"
                     "请删除多余的行（包括格式化过的空行），或把表格拆分到几个工作表 / 文件后上传",
    "too_many_columns": "工作表第 {letters} 列（第 {col} 列）仍有内容，超过上限 {limit} 列；"
                        "自评表只用 A 到 I 列，请删除多余的列后上传",
    "cell_too_long": "{where}有单元格文字超过 Excel 上限 {limit} 个字符，文件不是由 Excel 正常保存的；"
                     "请检查并缩短过长的内容，用 Excel 重新保存后再上传",
    "bad_number": "单元格的数值是 NaN（非数字）或无穷大，Excel 不会保存这样的值，文件可能由程序生成；"
                  "请改成正常数字，用 Excel 保存后再上传",
    "bad_amount": "{label}的{column}“{raw}”{problem}；请改成非负的金额数字后重新上传",
    "bad_value": "{what}“{raw}”超过 {limit}，明显不是真实数值（程序生成或录入错误？）；请改正后重新上传",
    "zip_duplicate": "文件内部有两个同名部件“{part}”，Excel 不会这样保存，文件可能被篡改过，已拒绝读取；"
                     "请用 Excel 打开后另存为新的 .xlsx 再上传",
    "formula_too_long": "公式没有保存计算结果，按公式估算结果将长达 {size} 个字符，超过 Excel 上限 {limit}，"
                        "计算它会耗尽内存，已拒绝读取；请检查该公式，在 Excel 中打开并保存后再上传",
    "formula_range": "公式引用了区域 {ref}（{rows} 行 × {cols} 列），超过上限 {max_rows} 行 × {max_cols} 列；"
                     "文件中的公式没有保存计算结果，计算这样大的区域会耗尽内存，已拒绝读取；"
                     "请缩小引用区域，或在 Excel 中打开并保存后再上传",
    "formula_chain": "公式没有保存计算结果，且公式之间层层引用超过 {limit} 层，已拒绝计算；请在 Excel 中打开并保存后再上传",
    "worker_limit": "读取本文件超出了资源限制（内存 {memory}、时间 {seconds} 秒），读取已被中止，本批其他文件不受影响；"
                    "文件里可能有异常巨大的内容或公式，请检查后用 Excel 重新保存再上传",
    "worker_unavailable": "服务器无法启动读取文件的后台进程（{detail}），为安全起见没有读取本文件；请联系管理员",
}

ADVICE_UPLOAD = "请上传 .xlsx 或 .xls 格式的自评表"


def refuse(code: str, file: str, sheet: str = "", cell: str = "", **values: object) -> ReadError:
    """The ReadError for ``code`` with its message filled in."""
    return ReadError(code=code, message=MESSAGES[code].format(**values), file=file, sheet=sheet, cell=cell)


def too_many_rows(row: int, limits: Limits, file: str, sheet: str, col: int = 1) -> ReadError:
    return refuse("too_many_rows", file, sheet, f"{col_letters(col)}{row}", row=row, limit=limits.max_rows)


def too_many_columns(col: int, row: int, limits: Limits, file: str, sheet: str) -> ReadError:
    letters = col_letters(col)
    return refuse("too_many_columns", file, sheet, f"{letters}{row}" if row else "",
                  letters=letters, col=col, limit=limits.max_cols)


def too_many_sheets(count: int, limits: Limits, file: str) -> ReadError:
    return refuse("too_many_sheets", file, count=count, limit=limits.max_sheets)
