from typing import Any

import pytest

from cromwes.config.settings import PathLocation, PathTranslation
from cromwes.policy.paths import (
    compile_rules,
    python_template,
    translate_inputs,
    translate_outputs,
    translate_path,
)

AZURE = "https://acct.blob.core.windows.net/data"


def rules(*specs: tuple[str, str, PathLocation]) -> Any:
    return compile_rules(
        [PathTranslation(prefix=p, replacement=r, location=loc) for p, r, loc in specs]
    )


ONPREM = rules(
    ("/data", "gs://bucket/data", PathLocation.INPUTS),
    ("gs://bucket/", "/mnt/bucket/", PathLocation.ALL),
    ("^/cromwell-executions", "/shared/cromwell-executions", PathLocation.OUTPUTS),
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("/data/in.bam", "gs://bucket/data/in.bam", id="prefix-anchored"),
        pytest.param("/data", "gs://bucket/data", id="whole-value"),
        pytest.param("/data-evil/x", "/data-evil/x", id="component-boundary"),
        pytest.param("/other/data/x", "/other/data/x", id="anchored-at-start"),
        pytest.param("/data/../etc/passwd", "/data/../etc/passwd", id="normalised-before-match"),
        pytest.param("gs://bucket/x", "/mnt/bucket/x", id="second-rule"),
        pytest.param("not a path", "not a path", id="plain-string"),
        pytest.param("data/x", "data/x", id="relative-untouched"),
    ],
)
def test_input_strings(value: str, expected: str) -> None:
    assert translate_inputs(value, ONPREM) == expected


def test_input_rules_first_match_wins_and_do_not_chain() -> None:
    # "/data/x" -> "gs://bucket/data/x" by rule 1; rule 2 would map that on, but inputs stop.
    assert translate_inputs({"a": "/data/x"}, ONPREM) == {"a": "gs://bucket/data/x"}


def test_nested_structures_and_non_strings() -> None:
    value = {"a": ["/data/1", {"b": "/data/2", "n": 3, "f": 1.5, "t": True, "z": None}], "k": 7}
    assert translate_inputs(value, ONPREM) == {
        "a": [
            "gs://bucket/data/1",
            {"b": "gs://bucket/data/2", "n": 3, "f": 1.5, "t": True, "z": None},
        ],
        "k": 7,
    }


def test_output_rules_chain_in_order() -> None:
    chained = rules(
        ("/cromwell-executions", "gs://b/exec", PathLocation.OUTPUTS),
        ("gs://b/", "https://storage.googleapis.com/b/", PathLocation.ALL),
    )
    assert translate_outputs({"o": ["/cromwell-executions/x"]}, chained) == {
        "o": ["https://storage.googleapis.com/b/exec/x"]
    }


def test_locations_select_where_rules_apply() -> None:
    inputs_only = rules(("/data", "/x", PathLocation.INPUTS))
    outputs_only = rules(("/data", "/x", PathLocation.OUTPUTS))
    assert translate_outputs("/data/f", inputs_only) == "/data/f"
    assert translate_inputs("/data/f", outputs_only) == "/data/f"
    assert translate_path("/data/f", outputs_only) == "/x/f"


def test_java_replacement_groups() -> None:
    groups = rules(
        (
            r"^https://(\w+)\.blob\.core\.windows\.net/(?<c>\w+)".replace("?<", "?P<"),
            "/$1/${c}",
            PathLocation.ALL,
        )
    )
    assert translate_path(f"{AZURE}/x.bam", groups) == "/acct/data/x.bam"


@pytest.mark.parametrize(
    ("java", "python"),
    [
        ("$1", r"\g<1>"),
        ("${name}", r"\g<name>"),
        (r"\$1", "$1"),
        ("a\\b", "ab"),
        ("plain", "plain"),
    ],
)
def test_python_template(java: str, python: str) -> None:
    assert python_template(java) == python


def test_invalid_regex_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid path translation prefix"):
        rules(("([", "x", PathLocation.ALL))
