from pathlib import Path

import numpy as np
import pytest
import torch

from linearization_fairness.models import (
    MLPConfig,
    ModelArtifact,
    freeze_masks,
    load_artifact,
    relu_count,
    relu_sites,
    save_artifact,
    set_mask_mode,
)
from linearization_fairness.models import artifact as artifact_module
from linearization_fairness.io import ModelArtifactDataset

from tests.factories import IMAGE_SHAPE as IN_SHAPE
from tests.factories import TINY_RESNET as CONFIG
from tests.factories import tiny_mlp, tiny_resnet


def _masked_model() -> torch.nn.Module:
    model = tiny_resnet()
    freeze_masks(model, {name: torch.rand(site.shape) > 0.6 for name, site in relu_sites(model)})
    # A trainable site mixed in checks that every mode survives the trip.
    sites = dict(relu_sites(model))
    sites["layer2.0.relu2"].set_mode("train")
    with torch.no_grad():
        sites["layer2.0.relu2"].alpha.uniform_(0, 1)
    return model.eval()


def test_round_trip_restores_outputs_masks_modes_and_metadata(tmp_path: Path) -> None:
    model = _masked_model()
    artifact = ModelArtifact.from_model(model, CONFIG, IN_SHAPE, 3, metadata={"seed": 0, "epoch": 4})
    save_artifact(tmp_path / "model.pt", artifact)

    # weights_only=True succeeds only if nothing but tensors and plain containers were stored.
    torch.load(tmp_path / "model.pt", weights_only=True)
    loaded = load_artifact(tmp_path / "model.pt")
    rebuilt = loaded.build()

    x = torch.randn(5, *IN_SHAPE)
    assert torch.equal(rebuilt(x), model(x))
    expected_metadata = {"relu_count": relu_count(model), "total_relu_sites": 2 * (256 + 128), "seed": 0, "epoch": 4}
    assert loaded.metadata == expected_metadata
    original_sites, rebuilt_sites = dict(relu_sites(model)), dict(relu_sites(rebuilt))
    assert {n: s.mode for n, s in rebuilt_sites.items()} == {n: s.mode for n, s in original_sites.items()}
    assert all(torch.equal(rebuilt_sites[n].keep, s.keep) for n, s in original_sites.items())
    assert relu_count(rebuilt) == relu_count(model)
    assert all(not t.is_meta for t in [*rebuilt.parameters(), *rebuilt.buffers()])


def test_a_derived_artifact_describes_the_same_network_with_its_own_weights_and_counts() -> None:
    base = tiny_resnet()
    artifact = ModelArtifact.from_model(base, CONFIG, IN_SHAPE, 3, metadata={"seed": 0})
    linearized = _masked_model()
    derived = artifact.derived(linearized, {"seed": 0, "method": "snl"})
    assert (derived.model_config, derived.in_shape, derived.num_classes) == (artifact.model_config, IN_SHAPE, 3)
    assert derived.metadata == {"seed": 0, "method": "snl", "relu_count": relu_count(linearized), "total_relu_sites": 768}
    x = torch.randn(5, *IN_SHAPE)
    assert torch.equal(derived.build()(x), linearized(x))
    assert artifact.metadata["relu_count"] == 768  # the base artifact is left as it was


def test_models_built_from_one_artifact_do_not_share_weights() -> None:
    artifact = ModelArtifact.from_model(tiny_resnet(), CONFIG, IN_SHAPE, 3)
    teacher, student = artifact.build(), artifact.build()
    assert teacher.fc.weight.data_ptr() != artifact.state_dict["fc.weight"].data_ptr()
    with torch.no_grad():
        student.fc.weight.add_(1.0)
    assert torch.equal(teacher.fc.weight, artifact.state_dict["fc.weight"])
    assert not torch.equal(student.fc.weight, teacher.fc.weight)


def test_artifact_is_a_snapshot_that_later_training_leaves_alone() -> None:
    model = tiny_resnet()
    artifact = ModelArtifact.from_model(model, CONFIG, IN_SHAPE, 3)
    with torch.no_grad():
        model.fc.weight.add_(1.0)
    assert not torch.equal(artifact.state_dict["fc.weight"], model.fc.weight)


def test_failed_save_leaves_no_partial_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tiny_resnet()
    target = tmp_path / "model.pt"
    save_artifact(target, ModelArtifact.from_model(model, CONFIG, IN_SHAPE, 3))
    before = target.read_bytes()

    def crash_midway(payload: object, file: object) -> None:
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(artifact_module.torch, "save", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        save_artifact(target, ModelArtifact.from_model(model, CONFIG, IN_SHAPE, 3))
    with pytest.raises(OSError, match="disk full"):
        save_artifact(tmp_path / "new.pt", ModelArtifact.from_model(model, CONFIG, IN_SHAPE, 3))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_metadata_must_be_json_like(tmp_path: Path) -> None:
    model = tiny_resnet()
    artifact = ModelArtifact.from_model(model, CONFIG, IN_SHAPE, 3, metadata={"loss": torch.tensor(1.0)})
    with pytest.raises(ValueError, match="metadata must be JSON-like"):
        save_artifact(tmp_path / "model.pt", artifact)


def test_loading_something_else_is_a_clear_error(tmp_path: Path) -> None:
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a model artifact"):
        load_artifact(tmp_path / "other.pt")


def test_kedro_dataset_saves_and_loads(tmp_path: Path) -> None:
    model = tiny_mlp([4], num_classes=2)
    set_mask_mode(model, "frozen")
    dataset = ModelArtifactDataset(filepath=str(tmp_path / "models" / "base.pt"))
    assert not dataset.exists()
    dataset.save(ModelArtifact.from_model(model, MLPConfig(arch="mlp", hidden_sizes=[4]), (2,), 2))
    assert dataset.exists()
    x = torch.randn(3, 2)
    assert torch.equal(dataset.load().build()(x), model.eval()(x))
    assert "base.pt" in str(dataset)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "pickled code"])
def test_a_damaged_model_file_gets_one_line_and_never_the_advice_to_load_it_unsafely(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "model.pt"
    save_artifact(path, ModelArtifact.from_model(tiny_resnet(0), CONFIG, IN_SHAPE, 10))
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage" * 100)
    else:
        torch.save({"format_version": 1, "metadata": Path("x")}, path)  # a class weights_only refuses
    with pytest.raises(Exception) as error:  # Kedro wraps it in a DatasetError naming the dataset
        ModelArtifactDataset(str(path)).load()
    message = str(error.value).splitlines()[-1]
    assert "model.pt" in message and "delete it" in message and "weights_only" not in str(error.value)


def test_a_damaged_splits_file_gets_one_line(tmp_path: Path) -> None:
    from linearization_fairness.io import NpzDataset

    path = tmp_path / "splits.npz"
    NpzDataset(str(path)).save({"train_x": np.zeros((2, 3))})
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(Exception) as error:
        NpzDataset(str(path)).load()
    assert "splits.npz" in str(error.value) and "rerun data_prep" in str(error.value) and "allow_pickle" not in str(error.value)
