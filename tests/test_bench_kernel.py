"""The benchmark's kernel section without training: flops per pair at each dimension and
the table of both dimensions' rates against sgemm."""

from benchmarks.sections import kernel


def test_flops_per_pair_grow_with_k_and_dim():
    assert kernel.kernel_flops_per_pair(5) == 6 * 6 * 100
    assert kernel.kernel_flops_per_pair(5, 300) == 6 * 6 * 300
    assert 300 in kernel.KERNEL_DIMS and 100 in kernel.KERNEL_DIMS


def at(rate, sgemm):
    return {"sgemm_gflops": sgemm, "k": {"5": rate}, "k_alone": {"5": rate / 2}}


def test_the_table_has_a_row_per_dim_and_k_and_each_dims_sgemm():
    text = kernel.kernel_text(
        {"tokens": 1000, "dims": {"100": at(8.0, 40.0), "300": at(15.0, 50.0)}}
    )
    assert "| 100 | 5 | 3,600 | 8.00 | 0.20 | 4.00 | 0.10 |" in text
    assert "| 300 | 5 | 10,800 | 15.00 | 0.30 | 7.50 | 0.15 |" in text
    assert "| 300 | numpy sgemm, one thread |  | 50.00 | 1.00 |" in text


def test_results_of_one_dimension_from_before_still_render():
    old = {"tokens": 1000, "sgemm_gflops": 40.0, "k": {"5": 8.0}, "k_alone": {"5": 4.0}}
    assert "| 100 | 5 | 3,600 | 8.00 | 0.20 | 4.00 | 0.10 |" in kernel.kernel_text(old)
