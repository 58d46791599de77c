"""How much arithmetic one training step does, counted from the graph TensorFlow traces for it.

Only ops that an update or an output depends on count: a gradient tape records every op it sees, and
TensorFlow's graph optimiser prunes those no update needs, so this is what runs. FLOPs are TensorFlow's
own per-op statistics (matrix products and convolutions, forward and backward); elementwise ops add
little and have none.
"""

from __future__ import annotations


def step_gflop(model, batch: tuple) -> float:
    """GFLOP of one `model.train_step(*batch)` (TensorFlow backend)."""
    import tensorflow as tf
    from tensorflow.python.framework import ops as tf_ops

    tf.get_logger().setLevel("ERROR")  # the FLOP registry's own deprecation warning
    arrays = model.step_arrays(*batch)
    graph = model.runner._step.get_concrete_function(*[tf.TensorSpec(a.shape, a.dtype) for a in arrays]).graph
    todo = [op for op in graph.get_operations() if op._is_stateful] + [t.op for t in graph.outputs]
    seen, flops = set(), 0
    while todo:
        op = todo.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        try:
            flops += tf_ops.get_stats_for_node_def(graph, op.node_def, "flops").value or 0
        except ValueError:  # no statistics registered for this op
            pass
        todo += [t.op for t in op.inputs] + list(op.control_inputs)
    return flops / 1e9
