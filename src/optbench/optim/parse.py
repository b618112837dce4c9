"""Optimizers written as text on the command line: `adam:lr=3e-4,betas=0.9,0.99`.

Grammar (whitespace around tokens is ignored):

    optimizers := optimizer ("," optimizer)*
    optimizer  := name [":" hparams]  |  module.path ":" Class [":" hparams]
    hparams    := key "=" value ("," value)* ("," key "=" value ("," value)*)*
    value      := true | false | none | int | float | word

Several values after one key form a tuple (`betas=0.9,0.99`). In a list of optimizers, a token
that has no '=' and is not a value (number, true, false, none) starts the next optimizer, as does
any token with a ':'. `format_optimizer` writes a spec back; `parse_optimizer` reads it again.
"""

from __future__ import annotations

import re
from typing import Any

from optbench.core.errors import ConfigError
from optbench.core.specs import OptimizerSpec, Profile
from optbench.optim.info import check_profile

_INT = re.compile(r"^[+-]?\d+$")
_WORDS: dict[str, Any] = {"true": True, "false": False, "none": None}
_EXAMPLE = "e.g. 'adam', 'adam:lr=3e-4,betas=0.9,0.99' or 'mypkg.optim:Lion:lr=1e-4'"


def parse_value(token: str) -> Any:
    """'3e-4' → 0.0003, '10' → 10, 'true' → True, 'none' → None; anything else stays a str."""
    word = token.lower()
    if word in _WORDS:
        return _WORDS[word]
    if _INT.match(token):
        return int(token)
    try:
        return float(token)
    except ValueError:
        return token


def _is_value(token: str) -> bool:
    return not isinstance(parse_value(token), str)


def split_optimizer_list(text: str) -> list[str]:
    """'adam:lr=3e-4,betas=0.9,0.99,sgd' → ['adam:lr=3e-4,betas=0.9,0.99', 'sgd']."""
    items: list[list[str]] = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        starts_new = ":" in token or ("=" not in token and not _is_value(token))
        if starts_new or not items:
            items.append([token])
        else:
            items[-1].append(token)
    return [",".join(tokens) for tokens in items]


def parse_optimizer(text: str, profile: Profile = "torch") -> OptimizerSpec:
    """'adam:lr=3e-4' → OptimizerSpec('adam', {'lr': 0.0003}, profile). Not yet resolved."""
    check_profile(profile)
    name, hparams_text = _split_name(text.strip(), text)
    hparams = _parse_hparams(hparams_text, text) if hparams_text is not None else {}
    return OptimizerSpec(name=name, hparams=hparams, profile=profile)


def _malformed(text: str, why: str) -> ConfigError:
    return ConfigError(f"Malformed optimizer text {text!r}: {why}. Write it as {_EXAMPLE}.")


def _split_name(text: str, original: str) -> tuple[str, str | None]:
    """(name, hparams text or None). Registry names are lowercased; import paths kept."""
    parts = [p.strip() for p in text.split(":")]
    if not parts[0]:
        raise _malformed(original, "no optimizer name")
    if len(parts) > 3:
        raise _malformed(original, "too many ':'")
    if not all(parts[1:]):
        raise _malformed(original, "nothing after a ':'")
    name = parts[0] if "." in parts[0] else parts[0].lower()  # keep a mistyped import path
    if len(parts) == 1:
        return name, None
    if len(parts) == 2 and "=" in parts[1]:
        return name, parts[1]
    if "=" in parts[1]:
        raise _malformed(original, "hyperparameters must come after the class name")
    return f"{parts[0]}:{parts[1]}", (parts[2] if len(parts) == 3 else None)


def _parse_hparams(text: str, original: str) -> dict[str, Any]:
    hparams: dict[str, list[Any]] = {}
    key = None
    for token in (t.strip() for t in text.split(",")):
        if "=" in token:
            key, _, value = (s.strip() for s in token.partition("="))
            if not key:
                raise _malformed(original, f"a value without a name ({token!r})")
            if key in hparams:
                raise _malformed(original, f"hyperparameter '{key}' is given twice")
            if not value:
                raise _malformed(original, f"hyperparameter '{key}' has no value")
            hparams[key] = [parse_value(value)]
        elif key is None or not token:
            raise _malformed(original, f"a value without a name ({token!r})")
        else:
            hparams[key].append(parse_value(token))
    return {k: v[0] if len(v) == 1 else tuple(v) for k, v in hparams.items()}


def format_optimizer(spec: OptimizerSpec) -> str:
    """The text `parse_optimizer` reads back to an equal spec: 'adam:lr=0.0003,betas=0.9,0.99'."""
    if not spec.hparams:
        return spec.name
    inner = ",".join(f"{k}={_format_value(spec.name, k, v)}" for k, v in spec.hparams.items())
    return f"{spec.name}:{inner}"


def _format_value(name: str, key: str, value: Any) -> str:
    if isinstance(value, tuple | list) and len(value) >= 2:
        return ",".join(_format_scalar(name, key, v) for v in value)
    return _format_scalar(name, key, value)


def _format_scalar(name: str, key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))  # shortest text that reads back to the same float
    plain = isinstance(value, str) and value and not re.search(r"[,=:\s]", value)
    if plain and parse_value(value) == value:
        return value
    raise ConfigError(
        f"Hyperparameter '{key}' of optimizer '{name}' cannot be written as text: {value!r}."
    )
