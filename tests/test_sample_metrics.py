"""Sample-quality metrics against answers known in advance."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import linalg

from genzoo.errors import GenzooError
from genzoo.evaluate.classes import classifier_score, conditional_accuracy, mode_coverage
from genzoo.evaluate.frechet import frechet_distance, frechet_distance_from_statistics
from genzoo.evaluate.kid import kernel_inception_distance, mmd2_unbiased
from genzoo.evaluate.manifold import manifold_scores
from genzoo.evaluate.memorisation import memorisation
from genzoo.evaluate.toy2d import grid25, ring8, toy_target


def gaussian_features(n: int, dim: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + shift


def random_covariance(dim: int, seed: int) -> torch.Tensor:
    a = torch.randn(dim, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return a @ a.T / dim + 0.1 * torch.eye(dim, dtype=torch.float64)


def test_fd_of_a_set_with_itself_is_zero_and_fd_is_symmetric():
    a, b = gaussian_features(2000, 16, 0), gaussian_features(2000, 16, 1, shift=0.3)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    assert frechet_distance(a, b) > 16 * 0.3 ** 2 * 0.8


def test_fd_matches_the_closed_form_for_non_commuting_covariances():
    mu_1, mu_2 = torch.zeros(6, dtype=torch.float64), torch.linspace(-1, 1, 6, dtype=torch.float64)
    cov_1, cov_2 = random_covariance(6, 0), random_covariance(6, 1)
    root = linalg.sqrtm(cov_1.numpy() @ cov_2.numpy()).real   # scipy's general square root, independently
    expected = ((mu_1 - mu_2) ** 2).sum().item() + cov_1.trace().item() + cov_2.trace().item() - 2 * root.trace()
    assert frechet_distance_from_statistics(mu_1, cov_1, mu_2, cov_2) == pytest.approx(expected, rel=1e-9)


def test_fd_of_two_gaussian_samples_approaches_the_closed_form():
    # N(0, I) against N(m, 4 I) in 4 dimensions: d^2 = |m|^2 + sum (1 - 2)^2 = 4 * 0.25 + 4
    a = gaussian_features(200_000, 4, 0)
    b = 2 * gaussian_features(200_000, 4, 1) + 0.5
    assert frechet_distance(a, b) == pytest.approx(5.0, abs=0.05)


def test_kid_is_unbiased_zero_for_one_distribution_and_positive_for_two():
    # independent pairs of small samples from one distribution: the mean of the unbiased MMD^2 is 0
    values = torch.tensor([mmd2_unbiased(gaussian_features(100, 8, 2 * i), gaussian_features(100, 8, 2 * i + 1))
                           for i in range(300)])
    assert abs(values.mean()) < 3 * values.std() / math.sqrt(len(values))
    same = kernel_inception_distance(gaussian_features(2000, 8, 0), gaussian_features(2000, 8, 1), subsets=20,
                                     subset_size=500)
    different = kernel_inception_distance(gaussian_features(2000, 8, 0), gaussian_features(2000, 8, 1, shift=0.5),
                                          subsets=20, subset_size=500)
    assert abs(same.value) < 3 * same.std and different.value > 10 * different.std > 0


def test_precision_recall_density_coverage_of_identical_sets():
    a = gaussian_features(1500, 8, 0)
    scores = manifold_scores(a, a.clone())
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0 and scores["coverage"] == 1.0
    # each real ball holds its own centre and its k = 5 nearest neighbours: density (k + 1) / k
    assert scores["density"] == pytest.approx(6 / 5)
    independent = manifold_scores(a, gaussian_features(1500, 8, 1))
    assert independent["density"] == pytest.approx(1.0, abs=0.1)   # Naeem et al.: E[density] = 1 for one distribution


def test_precision_and_recall_separate_quality_from_diversity():
    real = gaussian_features(2000, 2, 0)
    collapsed = gaussian_features(2000, 2, 1) * 0.1           # all inside the real manifold, a fraction of it
    far = gaussian_features(2000, 2, 2, shift=50.0)
    narrow = manifold_scores(real, collapsed)
    assert narrow["precision"] > 0.99 and narrow["recall"] < 0.2
    assert manifold_scores(real, far) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    # samples = the real set plus as many far outliers: half the samples are off the manifold, all real points covered
    mixed = manifold_scores(real, torch.cat([real, far]))
    assert mixed["precision"] == pytest.approx(0.5) and mixed["recall"] == 1.0 and mixed["coverage"] == 1.0


def test_classifier_score_runs_from_one_to_the_number_of_classes():
    confident = torch.eye(10).repeat(1000, 1)                 # each class equally often, each sample certain
    assert classifier_score(confident)["value"] == pytest.approx(10.0, rel=0.01)
    class_by_class = torch.eye(10).repeat_interleave(1000, 0)  # the same samples stored in class order
    assert classifier_score(class_by_class)["value"] == pytest.approx(10.0, rel=0.01)
    assert classifier_score(torch.full((1000, 10), 0.1))["value"] == pytest.approx(1.0)


def test_conditional_accuracy_compares_the_classifier_with_the_requested_labels():
    requested = torch.arange(100) % 10
    obeying = torch.eye(10)[requested] * 0.9 + 0.01
    assert conditional_accuracy(obeying, requested) == 1.0
    assert conditional_accuracy(obeying, (requested + 1) % 10) == 0.0
    half = torch.eye(10)[torch.where(requested < 5, requested, 0)]
    assert conditional_accuracy(half, requested) == 0.5   # right for classes 0-4, class 0 for the rest


def test_mode_coverage_counts_classes_and_measures_the_imbalance():
    data = torch.eye(10).repeat(50, 1)
    one_class = torch.eye(10)[[3] * 200]
    result = mode_coverage(one_class, data)
    assert result["classes_covered"] == 1 and result["kl_to_data"] == pytest.approx(math.log(10))
    assert mode_coverage(data, data)["kl_to_data"] == pytest.approx(0.0, abs=1e-12)


def test_mode_coverage_counts_the_samples_named_confidently():
    unsure = torch.full((3, 10), 0.1)                                  # a blurred sample: every class at 0.1
    sure = torch.eye(10)[[1, 2]] * 0.91 + 0.01                         # 0.92 on its class
    borderline = torch.eye(10)[[4]] * 0.8 + 0.02                       # 0.82: below the 0.9 threshold
    coverage = mode_coverage(torch.cat([unsure, sure, borderline]), torch.eye(10))
    assert coverage["confident_share"] == pytest.approx(2 / 6)


def test_memorisation_flags_copies_and_clears_fresh_samples():
    train, test, fresh = (gaussian_features(3000, 8, seed) for seed in (0, 1, 2))
    copies = memorisation(train[:500] + 1e-4, train, test)
    assert copies["share_closer_than_test_1st_percentile"] == 1.0 and copies["ratio"] < 0.01
    honest = memorisation(fresh, train, test)
    assert honest["share_closer_than_test_1st_percentile"] < 0.03 and 0.9 < honest["ratio"] < 1.1


@pytest.mark.parametrize("make, modes", [(ring8, 8), (grid25, 25)])
def test_toy_targets_score_their_own_samples_as_perfect(make, modes):
    target = make()
    scores = target.score(target.sample(2500, torch.Generator().manual_seed(0)))
    assert scores["modes_covered"] == modes and scores["high_quality_share"] > 0.97
    assert scores["kl_to_uniform"] < 0.02


def test_toy_target_scores_a_collapsed_generator():
    target = ring8()
    collapsed = target.centres[[0, 1]].repeat(1250, 1)
    scores = target.score(collapsed)
    assert scores["modes_covered"] == 2 and scores["kl_to_uniform"] == pytest.approx(math.log(4))
    assert scores["nearest_mode_kl_to_uniform"] == pytest.approx(math.log(4))
    nowhere = target.score(torch.zeros(100, 2))
    assert nowhere["high_quality_share"] == 0.0 and nowhere["modes_covered"] == 0 and nowhere["kl_to_uniform"] is None
    with pytest.raises(GenzooError, match="ring8 or grid25"):
        toy_target("spiral")


def test_toy_target_tells_blurred_modes_from_collapsed_ones():
    target = grid25()
    blurred = target.sample(2500, torch.Generator().manual_seed(0)) * 1.05   # every mode, each 5% off its centre
    scores = target.score(blurred)
    assert scores["modes_covered"] < 25 and scores["nearest_mode_kl_to_uniform"] < 0.02
