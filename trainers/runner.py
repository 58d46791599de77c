"""Runs a GAN training step written once, on TensorFlow (GradientTape) or JAX (for GPU machines).

A step body is a plain function `body(ctx, *arrays) -> logs`. Inside it, `ctx.call(net, x)` runs
a network and `ctx.update(net, loss_fn, *args)` differentiates `loss_fn(ctx, *args) -> (loss,
logs)` with respect to that network's trainable variables only and applies its optimizer. So a
discriminator update can never touch generator weights, and vice versa, on either backend.
`ctx.update_together({net: loss_key}, loss_fn, *args)` differentiates several networks' losses
from one forward pass (the simultaneous update), each loss with respect to its own network only.

`runner.steps(*stacked)` runs k steps in one compiled call (arrays with a leading k axis) and
returns every step's logs as (k,) arrays: the per-call cost (dispatch, Python) is paid once.
"""

from __future__ import annotations

import keras
import numpy as np


class _TfContext:
    def __init__(self, networks, optimizers):
        self.networks, self.optimizers = networks, optimizers

    def call(self, name, x, training=True):
        return self.networks[name](x, training=training)

    def update(self, name, loss_fn, *args):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, logs = loss_fn(self, *args)
        variables = self.networks[name].trainable_variables  # explicit list: only this network
        self.optimizers[name].apply_gradients(zip(tape.gradient(loss, variables), variables))
        return logs

    def update_together(self, loss_keys: dict[str, str], loss_fn, *args):
        import tensorflow as tf

        with tf.GradientTape(persistent=True) as tape:  # one forward, one backward per network's loss
            logs = loss_fn(self, *args)
        for name, key in loss_keys.items():
            variables = self.networks[name].trainable_variables
            self.optimizers[name].apply_gradients(zip(tape.gradient(logs[key], variables), variables))
        del tape
        return logs


class TfRunner:
    def __init__(self, networks, optimizers, body):
        import tensorflow as tf

        ctx = _TfContext(networks, optimizers)
        self._body = lambda *arrays: body(ctx, *arrays)
        self._step = tf.function(self._body, jit_compile=False)  # XLA is 3-20x slower on these CPUs
        self._steps = None  # the k-step loop, traced on first use

    def step(self, *arrays):
        return self._step(*arrays)

    def steps(self, *stacked):
        if self._steps is None:
            self._steps = self._trace_steps(stacked)
        return self._steps(*stacked)

    def _trace_steps(self, stacked):
        """A loop over the leading axis, traced once for any k (the per-step shapes stay static)."""
        import tensorflow as tf

        per_step = [tf.TensorSpec(a.shape[1:], a.dtype) for a in stacked]
        keys = sorted(self._step.get_concrete_function(*per_step).structured_outputs)

        def loop(*arrays):
            k = tf.shape(arrays[0])[0]
            logs = {key: tf.TensorArray(tf.float32, size=k) for key in keys}
            for i in tf.range(k):
                out = self._body(*[a[i] for a in arrays])
                logs = {key: logs[key].write(i, tf.cast(out[key], tf.float32)) for key in keys}
            return {key: logs[key].stack() for key in keys}

        signature = [tf.TensorSpec((None, *a.shape[1:]), a.dtype) for a in stacked]
        return tf.function(loop, input_signature=signature, jit_compile=False)

    def sync(self):
        """Variables are always current on TensorFlow."""

    def reload(self):
        """Nothing cached on TensorFlow."""


class _JaxContext:
    def __init__(self, networks, optimizers, params, opt_state):
        self.networks, self.optimizers = networks, optimizers
        self.params, self.opt_state = params, opt_state  # name -> (trainable, non_trainable) values

    def call(self, name, x, training=True):
        trainable, non_trainable = self.params[name]
        y, new_non_trainable = self.networks[name].stateless_call(trainable, non_trainable, x, training=training)
        self.params[name] = (trainable, new_non_trainable)
        return y

    def update(self, name, loss_fn, *args):
        import jax

        def loss_of(trainable):
            inner = self._with_trainables({name: trainable})
            loss, logs = loss_fn(inner, *args)
            return loss, (logs, inner.params)

        (_, (logs, after)), grads = jax.value_and_grad(loss_of, has_aux=True)(self.params[name][0])
        self._keep_statistics(after)
        self._apply(name, grads)
        return logs

    def update_together(self, loss_keys: dict[str, str], loss_fn, *args):
        import jax

        names = list(loss_keys)

        def losses_of(*trainables):
            inner = self._with_trainables(dict(zip(names, trainables)))
            logs = loss_fn(inner, *args)
            return [logs[loss_keys[n]] for n in names], (logs, inner.params)

        losses, pullback, (logs, after) = jax.vjp(losses_of, *[self.params[n][0] for n in names], has_aux=True)
        self._keep_statistics(after)
        for i, name in enumerate(names):  # each loss pulled back alone, to its own network
            seeds = [(jax.numpy.ones_like if j == i else jax.numpy.zeros_like)(loss) for j, loss in enumerate(losses)]
            self._apply(name, pullback(seeds)[i])
        return logs

    def _with_trainables(self, trainables: dict):
        """A context that differentiates these networks' trainable values; the rest stay as they are."""
        inner = _JaxContext(self.networks, None, dict(self.params), None)
        for name, trainable in trainables.items():
            inner.params[name] = (trainable, self.params[name][1])
        return inner

    def _keep_statistics(self, after: dict) -> None:
        for net in after:  # BatchNorm statistics updated during the loss
            self.params[net] = (self.params[net][0], after[net][1])

    def _apply(self, name, grads):
        new_trainable, self.opt_state[name] = self.optimizers[name].stateless_apply(
            self.opt_state[name], grads, self.params[name][0]
        )
        self.params[name] = (new_trainable, self.params[name][1])


class JaxRunner:
    def __init__(self, networks, optimizers, body):
        import jax

        self.networks, self.optimizers = networks, optimizers

        def pure_step(params, opt_state, *arrays):
            ctx = _JaxContext(networks, optimizers, dict(params), dict(opt_state))
            logs = body(ctx, *arrays)
            return ctx.params, ctx.opt_state, logs

        def pure_steps(params, opt_state, *stacked):
            def one(carry, arrays):
                new_params, new_opt_state, logs = pure_step(*carry, *arrays)
                return (new_params, new_opt_state), logs

            (params, opt_state), logs = jax.lax.scan(one, (params, opt_state), stacked)
            return params, opt_state, logs

        self._step = jax.jit(pure_step)
        self._steps = jax.jit(pure_steps)  # compiled once per k: the trainer keeps k to powers of two
        self.reload()

    def reload(self):
        self._params = {
            n: ([v.value for v in m.trainable_variables], [v.value for v in m.non_trainable_variables])
            for n, m in self.networks.items()
        }
        self._opt_state = {n: [v.value for v in o.variables] for n, o in self.optimizers.items()}
        self._dirty = False

    def step(self, *arrays):
        self._params, self._opt_state, logs = self._step(self._params, self._opt_state, *_placed(arrays, 0))
        self._dirty = True
        return logs

    def steps(self, *stacked):
        self._params, self._opt_state, logs = self._steps(self._params, self._opt_state, *_placed(stacked, 1))
        self._dirty = True
        return logs

    def sync(self):
        if not self._dirty:
            return
        for name, model in self.networks.items():
            trainable, non_trainable = self._params[name]
            for var, value in zip(model.trainable_variables + model.non_trainable_variables, trainable + non_trainable):
                var.assign(value)
        for name, opt in self.optimizers.items():
            for var, value in zip(opt.variables, self._opt_state[name]):
                var.assign(value)
        self._dirty = False


def _placed(arrays, batch_axis: int):
    """Under a Keras distribution (trainers.devices), each array split along its batch axis across the
    devices (this process's rows only, when several machines train together)."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return arrays
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    mesh = distribution.device_mesh.backend_mesh
    axis = distribution.device_mesh.axis_names[0]
    spec = lambda a: PartitionSpec(*([None] * batch_axis), axis) if a.ndim > batch_axis else PartitionSpec()
    return [jax.make_array_from_process_local_data(NamedSharding(mesh, spec(a)), np.asarray(a)) for a in arrays]


def make_runner(networks, optimizers, body):
    runner = JaxRunner if keras.backend.backend() == "jax" else TfRunner
    return runner(networks, optimizers, body)


def make_predictor(model, input_shape):
    """numpy (N, *input_shape) -> numpy output(s), compiled once for any batch size."""
    shape = (None, *input_shape) if isinstance(input_shape, tuple) else (None, input_shape)
    to_numpy = keras.ops.convert_to_numpy
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec(shape, tf.float32)])
        return lambda x: keras.tree.map_structure(to_numpy, fn(tf.constant(x, tf.float32)))
    return jax_predictor(model)


def jax_predictor(model):
    """One compiled program per batch size, not one per operation and shape: called eagerly, each layer's
    operations compile separately on JAX (hundreds of small compilations, ~10 s, before a model's first image).
    The weights are arguments, so a training model's current values are read at every call."""
    import jax

    def call(trainable, non_trainable, x):
        return model.stateless_call(trainable, non_trainable, x, training=False)[0]

    compiled = jax.jit(call)
    to_numpy = keras.ops.convert_to_numpy

    def predict(x):
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        return keras.tree.map_structure(to_numpy, compiled(trainable, non_trainable, np.asarray(x, np.float32)))

    return predict


def to_floats(logs: dict) -> dict[str, float]:
    return {k: float(np.asarray(keras.ops.convert_to_numpy(v))) for k, v in logs.items()}


def to_float_rows(logs: dict) -> list[dict[str, float]]:
    """(k,) arrays of a k-step call -> one dict of floats per step."""
    columns = {k: np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float64) for k, v in logs.items()}
    k = len(next(iter(columns.values())))
    return [{name: float(values[i]) for name, values in columns.items()} for i in range(k)]
