"""How much arithmetic one training step does, counted from the graph TensorFlow traces for it.

Only ops that an update or an output depends on count: a gradient tape records every op it sees, and
TensorFlow's graph optimiser prunes those no update needs, so this is what runs. FLOPs are TensorFlow's
own per-op statistics (matrix products and convolutions, forward and backward); elementwise ops add
little and have none. Each op's count is kept under the precision it runs in (its output's dtype),
since a frozen float32 network inside a bfloat16 step runs at the float32 rate.
"""

from __future__ import annotations


def step_gflop(model, batch: tuple) -> float:
    """GFLOP of one `model.train_step(*batch)` (TensorFlow backend)."""
    return sum(step_gflop_by_precision(model, batch).values())


def step_gflop_by_precision(model, batch: tuple) -> dict[str, float]:
    """GFLOP of one `model.train_step(*batch)` per dtype the ops compute in, e.g. {"bfloat16": 71.7,
    "float32": 3.6} (TensorFlow backend)."""
    import tensorflow as tf
    from tensorflow.python.framework import ops as tf_ops

    tf.get_logger().setLevel("ERROR")  # the FLOP registry's own deprecation warning
    arrays = model.step_arrays(*batch)
    graph = model.runner._step.get_concrete_function(*[tf.TensorSpec(a.shape, a.dtype) for a in arrays]).graph
    todo = [op for op in graph.get_operations() if op._is_stateful] + [t.op for t in graph.outputs]
    seen: set[str] = set()
    flops: dict[str, int] = {}
    while todo:
        op = todo.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        try:
            count = tf_ops.get_stats_for_node_def(graph, op.node_def, "flops").value or 0
        except ValueError:  # no statistics registered for this op
            count = 0
        if count:
            dtype = op.outputs[0].dtype.name
            flops[dtype] = flops.get(dtype, 0) + count
        todo += [t.op for t in op.inputs] + list(op.control_inputs)
    return {dtype: count / 1e9 for dtype, count in flops.items()}
