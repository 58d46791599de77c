"""Runs a GAN training step written once, on TensorFlow (GradientTape) or JAX (for GPU machines).

A step body is a plain function `body(ctx, *arrays) -> logs`. Inside it, `ctx.call(net, x)` runs
a network and `ctx.update(net, loss_fn, *args)` differentiates `loss_fn(ctx, *args) -> (loss,
logs)` with respect to that network's trainable variables only and applies its optimizer. So a
discriminator update can never touch generator weights, and vice versa, on either backend.
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


class TfRunner:
    def __init__(self, networks, optimizers, body):
        import tensorflow as tf

        ctx = _TfContext(networks, optimizers)
        self._step = tf.function(lambda *arrays: body(ctx, *arrays), jit_compile=False)  # XLA is slower on CPU

    def step(self, *arrays):
        return self._step(*arrays)

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
            inner = _JaxContext(self.networks, None, dict(self.params), None)
            inner.params[name] = (trainable, self.params[name][1])
            loss, logs = loss_fn(inner, *args)
            return loss, (logs, inner.params)

        (_, (logs, after)), grads = jax.value_and_grad(loss_of, has_aux=True)(self.params[name][0])
        for net in after:  # keep BatchNorm statistics updated during the loss
            self.params[net] = (self.params[net][0], after[net][1])
        new_trainable, self.opt_state[name] = self.optimizers[name].stateless_apply(
            self.opt_state[name], grads, self.params[name][0]
        )
        self.params[name] = (new_trainable, self.params[name][1])
        return logs


class JaxRunner:
    def __init__(self, networks, optimizers, body):
        import jax

        self.networks, self.optimizers = networks, optimizers

        def pure_step(params, opt_state, *arrays):
            ctx = _JaxContext(networks, optimizers, dict(params), dict(opt_state))
            logs = body(ctx, *arrays)
            return ctx.params, ctx.opt_state, logs

        self._step = jax.jit(pure_step)
        self.reload()

    def reload(self):
        self._params = {
            n: ([v.value for v in m.trainable_variables], [v.value for v in m.non_trainable_variables])
            for n, m in self.networks.items()
        }
        self._opt_state = {n: [v.value for v in o.variables] for n, o in self.optimizers.items()}
        self._dirty = False

    def step(self, *arrays):
        self._params, self._opt_state, logs = self._step(self._params, self._opt_state, *arrays)
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
    return lambda x: keras.tree.map_structure(to_numpy, model(x, training=False))


def to_floats(logs: dict) -> dict[str, float]:
    return {k: float(np.asarray(keras.ops.convert_to_numpy(v))) for k, v in logs.items()}
