#!/usr/bin/env python3
"""Follow-up flags and categories of every message of a PST as libpff sees them.

Runs libpff's export tool (`pffexport -d`) and reads the ItemValues.txt dump of each message.
libpff resolves named properties through the file's name-to-ID map itself: the categories are
the entry it prints as "Maps to entry: Keywords". pypff, the Python binding of the same
library, does not expose that mapping, hence the export tool.

Usage: flags_pffexport.py FILE.pst WORKDIR
Prints a JSON list, one object per message: folder (directory names below
the IPM subtree, which pffexport makes file-safe), message_id, subject, flag_status
(PidTagFlagStatus), follow_up_icon (PidTagFollowupIcon), categories.
"""

import json
import os
import re
import subprocess
import sys

ENTRY = re.compile(r"^Entry type:\s*0x([0-9a-f]{8})$", re.I)
MAPS_TO = re.compile(r"^Maps to entry:\s*(.*)$")
HEX_LINE = re.compile(r"^0x[0-9a-f]{8}:", re.I)


def entries(path):
    """(entry type, mapped name or None, value bytes) of each entry of an ItemValues.txt."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    for block in text.split("\n\n"):
        tag, name, data = None, None, bytearray()
        for line in block.splitlines():
            if m := ENTRY.match(line):
                tag = int(m.group(1), 16)
            elif m := MAPS_TO.match(line):
                name = m.group(1).strip()
            elif HEX_LINE.match(line):
                # "0x00000000: 01 00 ..  ..  ascii": 16 bytes take the first 50 characters.
                data.extend(bytes.fromhex(line.split(":", 1)[1][:50]))
        if tag is not None:
            yield tag, name, bytes(data)


def utf16(data):
    return data.decode("utf-16-le", errors="replace").split("\x00", 1)[0]


def multiple_strings(data):
    """A PtypMultipleString value: count, offsets, then the UTF-16LE strings."""
    count = int.from_bytes(data[0:4], "little")
    offsets = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "little") for i in range(count)]
    ends = offsets[1:] + [len(data)]
    return [utf16(data[start:end]) for start, end in zip(offsets, ends)]


def message(folder, path):
    seen = {"folder": folder, "message_id": None, "subject": None, "flag_status": None,
            "follow_up_icon": None, "categories": []}
    for tag, name, data in entries(path):
        if tag == 0x1035:
            seen["message_id"] = utf16(data)
        elif tag == 0x0037:
            subject = utf16(data)
            # A leading 0x01 and one character mark the length of a prefix ("RE: ").
            seen["subject"] = subject[2:] if subject.startswith("\x01") else subject
        elif tag == 0x1090:
            seen["flag_status"] = int.from_bytes(data, "little", signed=True)
        elif tag == 0x1095:
            seen["follow_up_icon"] = int.from_bytes(data, "little", signed=True)
        elif tag >= 0x8000 and name == "Keywords":
            seen["categories"] = multiple_strings(data)
    return seen


# What Outlook names the folder holding the user's folders: since Outlook 2010, and before.
IPM_SUBTREE_NAMES = ["Top of Outlook data file", "Top of Personal Folders"]


def walk(directory, folder, found):
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not os.path.isdir(path):
            continue
        if os.path.exists(os.path.join(path, "OutlookHeaders.txt")):
            found.append(message(folder, os.path.join(path, "ItemValues.txt")))
        else:
            walk(path, f"{folder}/{name}" if folder else name, found)


def main():
    pst, workdir = sys.argv[1], sys.argv[2]
    target = os.path.join(workdir, "pffexport")
    subprocess.run(["pffexport", "-d", "-q", "-m", "items", "-f", "text", "-t", target, pst],
                   check=True, stdout=subprocess.DEVNULL)
    found = []
    export = f"{target}.export"
    top = next(name for name in IPM_SUBTREE_NAMES if os.path.isdir(os.path.join(export, name)))
    walk(os.path.join(export, top), "", found)
    json.dump(found, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
