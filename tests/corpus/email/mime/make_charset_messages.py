#!/usr/bin/env python3
"""Writes the charset-*.eml fixtures: one message per charset the email channel must read, with a
known sentence in the body and the subject (RFC 2047) encoded in that charset. The expected UTF-8
text is in tests/unit/mime_message_test.cpp; keep the two in step.

Run from this folder: python3 make_charset_messages.py
"""
import base64
import quopri

# file stem, label written in the message, python codec, transfer encoding, subject, body
MESSAGES = [
    ("iso-8859-1", "ISO-8859-1", "iso-8859-1", "quoted-printable",
     "Farola apagada en la calle Núñez",
     "La farola de la calle Núñez está apagada desde el miércoles. ¿Pueden repararla?"),
    ("iso-8859-2", "ISO-8859-2", "iso-8859-2", "quoted-printable",
     "Zepsuta latarnia, ulica Łąkowa",
     "Latarnia przy ulicy Łąkowej nie świeci od środy. Proszę o naprawę."),
    ("iso-8859-5", "ISO-8859-5", "iso-8859-5", "8bit",
     "Не горит фонарь",
     "Фонарь на улице Садовой не горит с прошлой среды."),
    ("iso-8859-15", "iso-8859-15", "iso-8859-15", "quoted-printable",
     "Lampadaire cassé, rue de l'Œuvre",
     "Le lampadaire de la rue de l'Œuvre est cassé ; la réparation coûte 150 €."),
    ("windows-1251", "windows-1251", "cp1251", "base64",
     "Не світить ліхтар",
     "Ліхтар на вулиці Шевченка не світить — будь ласка, полагодьте."),
    ("windows-1252", "windows-1252", "cp1252", "quoted-printable",
     "“Pothole” still there",
     "The “pothole” on 5th Ave isn’t fixed yet — it’s been 3 weeks… €200 damage."),
    ("koi8-r", "KOI8-R", "koi8-r", "8bit",
     "Мусор не вывозят",
     "Мусор на улице Ленина не вывозят уже две недели."),
    ("iso-2022-jp", "ISO-2022-JP", "iso2022_jp", "7bit",
     "道路の穴について",
     "道路に大きな穴があります。早急に修理をお願いします。"),
    # Written as Outlook writes ISO-2022-JP (CP50221): ① and ㈱ are NEC extensions in JIS rows
    # that plain ISO-2022-JP leaves empty.
    ("iso-2022-jp-windows", "iso-2022-jp", "cp50221", "7bit",
     "①番地の工事騒音（㈱ミナト建設）",
     "工事の騒音がひどいです。現場は①番地、施工は㈱ミナト建設です。"),
    # Written as Windows writes "Shift_JIS": ① exists only in the CP932 superset.
    ("shift_jis", "Shift_JIS", "cp932", "base64",
     "①番地のゴミ収集日",
     "ゴミの収集日を教えてください。住所は①番地です。"),
    ("gb2312", "GB2312", "gb2312", "base64",
     "路灯坏了",
     "路灯坏了，请尽快修理。"),
    # 镕 is in GBK but not in GB2312.
    ("gbk", "GBK", "gbk", "base64",
     "垃圾桶满了",
     "朱镕基路的垃圾桶已经满了。"),
    ("big5", "Big5", "big5", "base64",
     "路燈壞了",
     "路燈壞了，請盡快修理。"),
    ("euc-kr", "EUC-KR", "euc-kr", "base64",
     "가로등 고장",
     "가로등이 고장났습니다. 빨리 고쳐 주세요."),
    # Outlook's label for Korean; 똠 exists only in the CP949 superset of EUC-KR.
    ("ks_c_5601-1987", "ks_c_5601-1987", "cp949", "base64",
     "똠방각하 거리 가로등 고장",
     "똠방각하 거리의 가로등이 고장났습니다."),
]


def cp50221(text):
    """ISO-2022-JP as Windows writes it: the CP932 code of each character, as JIS row/cell."""
    out, jis = b"", False
    for ch in text:
        sjis = ch.encode("cp932")
        if len(sjis) == 1:
            out += (b"\x1b(B" if jis else b"") + sjis
            jis = False
            continue
        s1, s2 = sjis
        j1 = (s1 - (0x70 if s1 < 0xA0 else 0xB0)) * 2 - (1 if s2 < 0x9F else 0)
        j2 = s2 - (0x1F if s2 < 0x7F else 0x20 if s2 < 0x9F else 0x7E)
        out += (b"" if jis else b"\x1b$B") + bytes([j1, j2])
        jis = True
    return out + (b"\x1b(B" if jis else b"")


def encode(text, codec):
    return cp50221(text) if codec == "cp50221" else text.encode(codec)


def encoded_word(label, codec, text):
    return "=?%s?B?%s?=" % (label, base64.b64encode(encode(text, codec)).decode("ascii"))


def body_bytes(codec, transfer, text):
    if transfer == "quoted-printable":  # encoded with bare LF line ends, then written as CRLF
        return quopri.encodestring(encode(text + "\n", codec)).replace(b"\n", b"\r\n")
    raw = encode(text + "\r\n", codec)
    if transfer == "base64":
        return base64.encodebytes(raw).replace(b"\n", b"\r\n")
    return raw


for stem, label, codec, transfer, subject, body in MESSAGES:
    headers = (
        "From: Resident <resident@example.net>\r\n"
        "To: 311 <311@city.example>\r\n"
        "Subject: %s\r\n"
        "Date: Mon, 2 Jun 2025 09:15:00 -0700\r\n"
        "Message-ID: <charset-%s@example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=\"%s\"\r\n"
        "Content-Transfer-Encoding: %s\r\n"
        "\r\n" % (encoded_word(label, codec, subject), stem, label, transfer)
    ).encode("ascii")
    with open("charset-%s.eml" % stem, "wb") as out:
        out.write(headers + body_bytes(codec, transfer, body))
