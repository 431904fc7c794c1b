"""Training, saving and loading models: round trips and refusing tampered files."""

import json
import pickle

import numpy as np
import pytest

from effortnlp.features import FEATURE_NAMES, NEUTRAL
from effortnlp.model import ModelError, PriorModel, fit_model, load_model, save_model


def _toy_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    feats, y = [], []
    for _ in range(n):
        d = dict(NEUTRAL)
        t = int(rng.integers(0, 3))
        r = int(rng.integers(0, 2))
        d.update({"transfer_count": t, "transfer_any": float(t > 0), "repeat_contact_count": r, "repeat_contact_any": float(r)})
        feats.append(d)
        y.append(int(np.clip(round(6.5 - 1.5 * t - 2 * r + rng.normal(0, 0.5)), 1, 7)))
    return feats, y


@pytest.fixture(scope="module")
def trained():
    feats, y = _toy_data()
    return fit_model(feats, y, seed=0), feats


def test_more_markers_mean_lower_ces(trained):
    model, _ = trained
    clean = dict(NEUTRAL)
    bad = dict(NEUTRAL) | {"transfer_count": 2, "transfer_any": 1.0, "repeat_contact_count": 1, "repeat_contact_any": 1.0}
    ces, p_high = model.predict([clean, bad])
    assert ces[0] > ces[1] + 2
    assert p_high[1] > p_high[0]
    assert np.all((ces >= 1) & (ces <= 7)) and np.all((p_high >= 0) & (p_high <= 1))


def test_round_trip_gives_identical_predictions(trained, tmp_path):
    model, feats = trained
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    a, pa = model.predict(feats)
    b, pb = loaded.predict(feats)
    assert np.array_equal(a, b) and np.array_equal(pa, pb)


def test_manifest_records_versions_hashes_and_features(trained, tmp_path):
    model, _ = trained
    save_model(model, tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert set(manifest["versions"]) >= {"effortnlp", "scikit-learn", "spacy", "python"}
    assert "estimator.joblib" in manifest["files"]
    assert any(f.startswith("patterns/") for f in manifest["files"])
    assert manifest["feature_names"] == list(FEATURE_NAMES)


@pytest.mark.parametrize("victim", ["estimator.joblib", "patterns"])
def test_modified_byte_is_refused(trained, tmp_path, victim):
    model, _ = trained
    d = save_model(model, tmp_path / "m")
    path = d / victim if victim != "patterns" else sorted((d / "patterns").glob("*.jsonl"))[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=path.name):
        load_model(d)


class _Boom:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(_Boom.canary),))


def test_foreign_pickle_is_refused_before_unpickling(trained, tmp_path):
    model, _ = trained
    d = save_model(model, tmp_path / "m")
    canary = tmp_path / "pickle-code-ran"
    _Boom.canary = str(canary)
    (d / "estimator.joblib").write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(ModelError, match="SHA-256"):
        load_model(d)
    assert not canary.exists()
    # and the canary does fire when unpickled, so the check above means something
    pickle.loads((d / "estimator.joblib").read_bytes())
    assert canary.exists()


def test_missing_manifest_is_refused(trained, tmp_path):
    model, _ = trained
    d = save_model(model, tmp_path / "m")
    (d / "manifest.json").unlink()
    with pytest.raises(ModelError, match="manifest"):
        load_model(d)


def test_prior_model_saves_without_pickle(tmp_path):
    d = save_model(PriorModel(), tmp_path / "prior")
    assert not list(d.glob("*.joblib"))
    loaded = load_model(d)
    assert isinstance(loaded, PriorModel)
    f = dict(NEUTRAL) | {"unresolved_count": 1.0, "unresolved_any": 1.0}
    assert loaded.predict([f])[0][0] < loaded.predict([dict(NEUTRAL)])[0][0]


def test_labels_out_of_range_are_refused():
    feats, _ = _toy_data(10)
    with pytest.raises(ValueError, match="1 to 7"):
        fit_model(feats, [8] * 5 + [1] * 5)


def test_prior_charges_back_and_forth_up_to_a_cap():
    import math

    def turns(n):
        return dict(NEUTRAL) | {"customer_turns_log": math.log1p(n)}

    ces, _ = PriorModel(softness=0).predict([turns(1), turns(2), turns(3), turns(5), turns(20)])
    assert ces[0] == pytest.approx(7.0)
    assert ces[1] == pytest.approx(6.75)
    assert ces[2] == pytest.approx(6.5)
    assert ces[3] == pytest.approx(6.0) and ces[4] == pytest.approx(6.0)
    soft, _ = PriorModel(softness=4.0).predict([turns(1), turns(2), turns(5), turns(20)])
    assert soft[0] == pytest.approx(7.0)
    assert soft[1] == pytest.approx(1 + 6 * math.exp(-0.25 / 4))
    assert soft[2] == pytest.approx(1 + 6 * math.exp(-1 / 4)) and soft[3] == soft[2]


def test_soft_prior_keeps_ranking_where_the_clipped_one_ties():
    heavy = {"repeat_contact": 1, "unresolved": 1, "transfer": 1, "repeat_info": 1, "frustration": 1}

    def feats(markers):
        f = dict(NEUTRAL)
        for m in markers:
            f[f"{m}_count"], f[f"{m}_any"] = 3.0, 1.0
        return f

    four, five = feats(list(heavy)[:4]), feats(list(heavy))
    clipped, _ = PriorModel(softness=0).predict([four, five])
    assert clipped[0] == clipped[1] == 1.0  # 7 - 8.6 and 7 - 10.4 both clip to 1
    soft, _ = PriorModel().predict([four, five])
    assert 1.0 < soft[1] < soft[0] < 7.0


def test_prior_softness_survives_save(tmp_path):

    d = save_model(PriorModel(softness=2.5), tmp_path / "p")
    assert load_model(d).softness == 2.5
    d0 = save_model(PriorModel(softness=0.0), tmp_path / "p0")
    assert load_model(d0).softness == 0.0


def test_prior_charges_long_customer_writing_from_a_neutral_base():
    import math

    def words(n):
        return dict(NEUTRAL) | {"customer_words_log": math.log1p(n)}

    ces, _ = PriorModel().predict([words(10), words(25), words(100), words(400)])
    assert ces[0] == ces[1] == pytest.approx(7.0)  # up to a typical short message costs nothing
    assert 7.0 > ces[2] > ces[3]
    pen = 0.25 * (math.log1p(400) - math.log1p(25))
    assert ces[3] == pytest.approx(1 + 6 * math.exp(-pen / 4))
    assert PriorModel(per_log_word=0.0).predict([words(400)])[0][0] == pytest.approx(7.0)


def test_prior_word_charge_survives_save(tmp_path):
    import json

    d = save_model(PriorModel(per_log_word=0.4), tmp_path / "p")
    assert load_model(d).per_log_word == 0.4
    assert "per_log_word" in json.loads((d / "weights.json").read_text())


def test_library_versions_are_the_running_ones():
    import sklearn
    import spacy

    from effortnlp.model import library_versions

    v = library_versions()
    assert v["scikit-learn"] == sklearn.__version__ and v["spacy"] == spacy.__version__


def test_loading_the_prior_model_does_not_import_scikit_learn():
    """The default model has no pickle: starting ``effortnlp explain`` need not pay for importing sklearn."""
    import subprocess
    import sys

    code = ("import sys; from effortnlp.analyzer import EffortAnalyzer; EffortAnalyzer.load(); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_version_mismatch_warns(trained, tmp_path):
    model, _ = trained
    save_model(model, tmp_path / "m")
    path = tmp_path / "m" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    path.write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="saved with scikit-learn 0.0.1"):
        load_model(tmp_path / "m")
