"""The pydantic models and the Arrow schema describe the same row, and a row survives the round trip."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import duckdb

from steplabel.pipeline.schema import CHAINS_SCHEMA, Chain, new_chain, rows_to_table, stable_id


def _fields(model: type) -> set[str]:
    return set(model.model_fields)


def test_model_and_arrow_schema_have_the_same_fields():
    assert _fields(Chain) == set(CHAINS_SCHEMA.names)
    step_type = CHAINS_SCHEMA.field("steps").type.value_type
    from steplabel.pipeline.schema import Step, Verdict

    assert _fields(Step) == {f.name for f in step_type}
    assert _fields(Verdict) == {f.name for f in step_type.field("verdicts").type.value_type}


def _example() -> Chain:
    return Chain.model_validate(new_chain(
        chain_id="c1", problem_id="p1", problem="What is 2+2?", reference={"answer": "4"},
        text="2+2=4\n\nThe answer is 4.", segmenter="blank_line", final_answer="4",
        steps=[
            {"index": 0, "text": "2+2=4", "rating": 1, "score": 0.9, "decided_by": "judge",
             "verdicts": [{"labeler": "judge", "version": "1", "rating": 1, "score": 0.9, "evidence": "ok",
                           "cost": {"ms": 3.5, "tokens": 12}, "cached": True}]},
            {"index": 1, "text": "The answer is 4.", "rating": None, "verdicts": []},
        ],
        outcome={"correct": True, "evidence": "4 == 4"}, first_error=None,
        build={"build_id": "b", "labelers": [{"name": "judge", "version": "1"}]},
    ))


def test_round_trip_models_arrow_parquet_duckdb(tmp_path):
    chain = _example()
    table = rows_to_table([chain.model_dump()])
    pq.write_table(table, tmp_path / "c.parquet")
    con = duckdb.connect()
    arrow = con.sql(f"SELECT * FROM read_parquet('{tmp_path / 'c.parquet'}')").to_arrow_table()
    back = Chain.model_validate(arrow.cast(CHAINS_SCHEMA).to_pylist()[0])
    assert back == chain
    assert back.steps[0].verdicts[0].cost.tokens == 12 and back.steps[1].rating is None


def test_new_chain_rejects_unknown_fields():
    import pytest

    with pytest.raises(KeyError):
        new_chain(chain_id="x", problem_id="p", not_a_field=1)
    with pytest.raises(KeyError):
        new_chain(chain_id="x", problem_id="p", reference={"answr": "1"})


def test_wrong_rating_type_is_rejected_by_arrow():
    import pytest

    row = _example().model_dump()
    row["steps"][0]["rating"] = "good"
    with pytest.raises((pa.ArrowException, TypeError, ValueError)):
        rows_to_table([row])


def test_stable_id_is_stable_and_distinguishes_parts():
    assert stable_id("a", 1) == stable_id("a", 1)
    assert stable_id("a", 1) != stable_id("a", 2)
