"""Every string users see exists in Simplified Chinese.

CI regenerates the catalogue from the source (makemessages) before running this, so a
new string without a translation fails here.
"""

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def entries():
    """(msgid, msgstr, flags) for each entry but the header, from the .po text."""
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n")[1:]:
        fields: dict[str, str] = {}
        flags = ""
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
            else:
                key, _, value = line.partition(" ")
                current = key
                fields[key] = value[1:-1]
        msgid = fields.get("msgid", "")
        if msgid:
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            yield msgid, msgstr, flags


def test_the_catalogue_has_entries():
    assert sum(1 for _ in entries()) > 200


def test_every_string_is_translated_and_none_is_fuzzy():
    missing = [msgid for msgid, msgstr, _ in entries() if not msgstr]
    fuzzy = [msgid for msgid, _, flags in entries() if "fuzzy" in flags]
    assert missing == []
    assert fuzzy == []


def test_translations_keep_every_placeholder():
    broken = [
        msgid
        for msgid, msgstr, _ in entries()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr))
    ]
    assert broken == []
