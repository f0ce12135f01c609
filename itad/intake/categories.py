"""The device categories the server knows, and the many ways clients write them.

A category decides how a device is handled at the bench (a monitor carries no data, a laptop
does), so an unknown one is a problem for the client to fix, not something to guess silently.
Obvious synonyms ("Notebook", "PC ", "ComputerMonitor") are mapped without complaint.
"""

from __future__ import annotations

import difflib

# Canonical name -> whether a device of this kind normally carries data to sanitize.
CATEGORIES: dict[str, bool] = {
    "laptop": True,
    "desktop": True,
    "all-in-one": True,
    "thin client": True,
    "server": True,
    "tablet": True,
    "phone": True,
    "monitor": False,
    "tv": False,
    "projector": False,
    "printer": True,
    "scanner": False,
    "switch": True,
    "router": True,
    "firewall": True,
    "network": True,
    "ups": False,
    "storage": True,
    "hdd": True,
    "ssd": True,
    "tape": True,
    "usb drive": True,
    "memory card": True,
    "keyboard": False,
    "mouse": False,
    "docking station": False,
    "headset": False,
    "webcam": False,
    "camera": True,
    "speaker": False,
    "cable": False,
    "power supply": False,
    "battery": False,
    "accessory": False,
    "component": False,
    "other": False,
}

# Normalised spelling -> canonical name. Keys are written the way clients write them and
# normalised below, so the table reads like the files it comes from.
_SYNONYMS = {
    "notebook": "laptop", "netbook": "laptop", "ultrabook": "laptop", "chromebook": "laptop",
    "macbook": "laptop", "convertible": "laptop", "portable": "laptop",
    "pc": "desktop", "computer": "desktop", "desktop pc": "desktop", "desktop computer": "desktop",
    "workstation": "desktop", "tower": "desktop", "microtower": "desktop", "mini tower": "desktop",
    "mini pc": "desktop", "small form factor": "desktop", "sff": "desktop", "usff": "desktop",
    "aio": "all-in-one", "all in one": "all-in-one",
    "zero client": "thin client",
    "rack server": "server", "blade server": "server", "blade": "server",
    "ipad": "tablet", "pad": "tablet",
    "smartphone": "phone", "mobile": "phone", "mobile phone": "phone", "cell phone": "phone",
    "cellphone": "phone", "iphone": "phone", "desk phone": "phone", "ip phone": "phone",
    "voip phone": "phone", "telephone": "phone",
    "computer monitor": "monitor", "display": "monitor", "screen": "monitor", "lcd": "monitor",
    "tft": "monitor", "television": "tv",
    "mfp": "printer", "mfd": "printer", "multifunction printer": "printer", "copier": "printer",
    "network switch": "switch",
    "access point": "network", "wireless access point": "network", "wap": "network",
    "network device": "network", "networking": "network", "modem": "network",
    "nas": "storage", "san": "storage", "storage array": "storage", "disk array": "storage",
    "hard drive": "hdd", "hard disk": "hdd", "hard disk drive": "hdd", "disk": "hdd",
    "solid state drive": "ssd", "nvme": "ssd", "m2": "ssd",
    "tape drive": "tape", "lto": "tape", "usb stick": "usb drive", "flash drive": "usb drive",
    "sd card": "memory card",
    "dock": "docking station", "docking": "docking station", "port replicator": "docking station",
    "headphones": "headset", "web cam": "webcam", "psu": "power supply",
    "power adapter": "power supply", "charger": "power supply",
}


def normalise(text: str) -> str:
    """Case-fold and drop everything but letters and digits: 'Docking-Station ' -> 'dockingstation'."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_LOOKUP: dict[str, str] = {normalise(name): name for name in CATEGORIES}
_LOOKUP.update({normalise(k): v for k, v in _SYNONYMS.items()})
_LOOKUP_KEYS = list(_LOOKUP)


def canonical_category(text: str) -> str | None:
    """The known category this spelling means, or None when it is not one we know."""
    key = normalise(text)
    found = _LOOKUP.get(key)
    if found is None and key.endswith("s"):
        found = _LOOKUP.get(key[:-1])  # plurals: "Laptops", "Switches" is rarer and left out
    return found


def closest_category(text: str) -> str | None:
    """The known category a misspelt one most likely meant ('Lapotp' -> 'laptop'), if any."""
    match = difflib.get_close_matches(normalise(text), _LOOKUP_KEYS, n=1, cutoff=0.75)
    return _LOOKUP[match[0]] if match else None
