"""The fused TensorFlow kernels (trainers.fused) do Keras's arithmetic, keep Keras's state, and are what runs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers import fused
from trainers.run import build_model

OPTIMIZERS = {  # name -> (Keras's own, the fused one)
    "rmsprop": (lambda: keras.optimizers.RMSprop(1e-2), lambda: fused.rmsprop(1e-2)),
    "adam": (lambda: keras.optimizers.Adam(1e-2, beta_1=0.5), lambda: fused.adam(1e-2, beta_1=0.5)),
    "rmsprop averaged": (
        lambda: keras.optimizers.RMSprop(1e-2, use_ema=True, ema_momentum=0.9),
        lambda: fused.rmsprop(1e-2, use_ema=True, ema_momentum=0.9),
    ),
}


def _train_small_net(make_optimizer, steps=5):
    keras.backend.clear_session()  # the same variable names in both runs
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    optimizer = make_optimizer()
    x = tf.random.normal((32, 8), seed=1)
    y = tf.random.normal((32, 1), seed=2)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((net(x) - y) ** 2)
        variables = net.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for _ in range(steps):
        step()
    return net, optimizer


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fused_optimizers_update_as_keras_does_with_the_same_slots(name):
    keras_made, fused_made = OPTIMIZERS[name]
    net_a, opt_a = _train_small_net(keras_made)
    net_b, opt_b = _train_small_net(fused_made)
    for a, b in zip(net_a.weights, net_b.weights, strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6)
    # Same slots, same order, same shapes: checkpoints written before the fused kernels resume as they were.
    assert [(v.name, v.shape) for v in opt_b.variables] == [(v.name, v.shape) for v in opt_a.variables]
    for a, b in zip(opt_a.variables, opt_b.variables, strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("shape", [(64, 7, 7, 16), (64, 32)])
@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
def test_fused_batch_norm_trains_and_infers_as_keras_does(shape, dtype):
    x = tf.random.normal(shape, seed=3) * 3 + 1
    results = []
    for layer_class in (keras.layers.BatchNormalization, fused.BatchNormalization):
        layer = layer_class(dtype=dtype)
        layer.build(shape)
        layer.gamma.assign(np.linspace(0.5, 1.5, shape[-1]))
        layer.beta.assign(np.linspace(-1, 1, shape[-1]))
        inputs = tf.cast(x, layer.compute_dtype)

        @tf.function
        def train(inputs, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                loss = tf.reduce_sum(tf.cast(layer(inputs, training=True), tf.float32) ** 3)
            return tape.gradient(loss, [inputs, *layer.trainable_variables])

        grads = [g.numpy().astype(np.float32) for g in train(inputs)]
        stats = [layer.moving_mean.numpy(), layer.moving_variance.numpy()]
        inferred = layer(inputs, training=False).numpy().astype(np.float32)
        results.append((grads, stats, inferred))
    (grads_a, stats_a, inferred_a), (grads_b, stats_b, inferred_b) = results
    tolerance = 1e-5 if dtype == "float32" else 1e-2  # about one bfloat16 rounding step
    for a, b in zip(grads_a, grads_b, strict=True):
        assert np.abs(b - a).max() <= tolerance * np.abs(a).max()
    for a, b in zip(stats_a, stats_b, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(inferred_b, inferred_a, atol=1e-2 if dtype != "float32" else 1e-5)


def test_the_fused_kernels_are_what_an_infogan_step_runs(small_mnist):
    model = build_model("infogan", {"precision": "float32"})
    arrays = model.step_arrays(*model.batches(small_mnist, 8, 0).next())
    step = model.runner._step.get_concrete_function(*[tf.TensorSpec(a.shape, a.dtype) for a in arrays])
    types = [op.type for op in step.graph.get_operations()]
    trainable = len(model.networks["generator"].trainable_variables) + len(
        model.networks["discriminator"].trainable_variables
    )
    assert types.count("ResourceApplyRMSProp") == trainable  # one kernel per weight, both updates
    assert types.count("FusedBatchNormV3") == 8  # G's four BatchNorms, in the D step and in the G step
    assert "Sqrt" not in types  # Keras's unfused RMSprop would have one per weight


def test_a_layer_name_is_the_same_as_keras_batch_norm():
    """Shipped weights are matched by layer order and name: the fused layer must not rename anything."""
    keras.backend.clear_session()
    assert fused.BatchNormalization().name == "batch_normalization"


@pytest.mark.parametrize("size", [3, 5])
def test_the_one_channel_convolution_computes_what_keras_conv2d_does(size):
    """Forward, input gradient and kernel gradient, on a one-channel image (the custom input gradient)."""
    keras.backend.clear_session()
    images = tf.random.normal((3, 12, 12, 1), seed=3)
    plain = keras.layers.Conv2D(6, size, padding="same", activation="relu")
    ours = fused.Conv2D(6, size, padding="same", activation="relu")
    plain.build(images.shape)
    ours.build(images.shape)
    ours.set_weights(plain.get_weights())
    results = []
    for layer in (plain, ours):
        with tf.GradientTape() as tape:
            tape.watch(images)
            out = layer(images)
            loss = tf.reduce_sum(tf.sin(out) * tf.range(6, dtype=tf.float32))  # unequal weight per channel
        results.append([out, *tape.gradient(loss, [images, *layer.trainable_variables])])
    for expected, got in zip(*results):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    assert np.abs(results[1][1].numpy()).max() > 0.1  # the input gradient is not trivially zero


def test_the_one_channel_input_gradient_replaces_tensorflows_kernel_only_where_it_applies():
    def input_gradient_ops(layer, shape):
        x = tf.TensorSpec(shape, tf.float32)

        @tf.function
        def grad(images):
            with tf.GradientTape() as tape:
                tape.watch(images)
                loss = tf.reduce_sum(layer(images))
            return tape.gradient(loss, images)

        return [op.type for op in grad.get_concrete_function(x).graph.get_operations()]

    assert "Conv2DBackpropInput" not in input_gradient_ops(fused.Conv2D(4, 3, padding="same"), (2, 8, 8, 1))
    # more than one channel, a stride, 'valid' padding or sizes unknown when traced: TensorFlow's own kernel
    assert "Conv2DBackpropInput" in input_gradient_ops(fused.Conv2D(4, 3, padding="same"), (2, 8, 8, 2))
    assert "Conv2DBackpropInput" in input_gradient_ops(fused.Conv2D(4, 3, strides=2, padding="same"), (2, 8, 8, 1))
    assert "Conv2DBackpropInput" in input_gradient_ops(fused.Conv2D(4, 3), (2, 8, 8, 1))
    assert "Conv2DBackpropInput" in input_gradient_ops(fused.Conv2D(4, 3, padding="same"), (2, None, None, 1))
    keras.backend.clear_session()
    assert fused.Conv2D(4, 3).name == "conv2d"  # saved runs match layers by order and name


def test_a_stackedgan_step_counts_its_frozen_encoder_as_float32(small_mnist):
    """The encoder is float32 inside a bfloat16 step: its arithmetic is timed against the float32 rate."""
    from trainers.arithmetic import step_gflop_by_precision

    model = build_model("stackedgan", {"precision": "bfloat16"})
    counts = step_gflop_by_precision(model, model.batches(small_mnist, 64, 0).next())
    assert 65 < counts["bfloat16"] < 80  # the same G and D as InfoGAN's
    assert 2 < counts["float32"] < 6  # encoder0 on real and fake digits, its input gradient; the float32 heads
