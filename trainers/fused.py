"""Faster TensorFlow paths for three things a GAN step does, with Keras's arithmetic and state:
RMSprop's and Adam's update (one kernel per variable), BatchNorm's training pass (FusedBatchNormV3),
and the input gradient of a convolution over a one-channel image (Conv2D, below).

Keras writes each variable's update as about fourteen small graph ops (reads, products, a square
root, a division, two assignments); on a CPU each op costs the executor a few microseconds whatever
its size, and a GAN step's two updates are a third of its ops. TensorFlow's ResourceApplyRMSProp
and ResourceApplyAdam do the same arithmetic as Keras (same formulas, same slots) in one op each.

The slots, their order and the checkpoints stay Keras's own, so runs saved before resume unchanged.
RMSprop's fused kernel also wants a momentum buffer; with momentum 0 it holds only this step's
increment, so it is scratch space kept outside the optimizer's variables (never checkpointed).
On JAX, or with options the kernels do not have (centred RMSprop, momentum, AMSGrad), Keras's own
update runs.
"""

from __future__ import annotations

import keras


def rmsprop(learning_rate: float, **options) -> keras.optimizers.Optimizer:
    return FusedRMSprop(learning_rate, **options)


def adam(learning_rate: float, **options) -> keras.optimizers.Optimizer:
    return FusedAdam(learning_rate, **options)


def _on_tensorflow() -> bool:
    return keras.backend.backend() == "tensorflow"


def _tf_variable(variable):
    """The tf.Variable behind a Keras variable (the update step gets tf.Variables, slots are Keras's)."""
    return variable.value if isinstance(variable, keras.Variable) else variable


class FusedRMSprop(keras.optimizers.RMSprop):
    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._increments = []
        if self._fused():
            import tensorflow as tf

            with tf.init_scope():  # built on the first (traced) step: variables live outside the graph
                self._increments = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False) for v in var_list]

    def _fused(self) -> bool:
        return _on_tensorflow() and self.momentum == 0 and not self.centered

    def update_step(self, gradient, variable, learning_rate):
        if not self._fused():
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf

        index = self._get_variable_index(variable)
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyRMSProp(
            var=variable.handle,
            ms=_tf_variable(self._velocities[index]).handle,
            mom=self._increments[index].handle,
            lr=tf.cast(learning_rate, dtype),
            rho=tf.constant(self.rho, dtype),
            momentum=tf.constant(0.0, dtype),
            epsilon=tf.constant(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


class FusedAdam(keras.optimizers.Adam):
    def _fused(self) -> bool:
        return _on_tensorflow() and not self.amsgrad

    def update_step(self, gradient, variable, learning_rate):
        if not self._fused():
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf

        index = self._get_variable_index(variable)
        dtype = variable.dtype
        local_step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.constant(self.beta_1, dtype), tf.constant(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=_tf_variable(self._momentums[index]).handle,
            v=_tf_variable(self._velocities[index]).handle,
            beta1_power=tf.pow(beta_1, local_step),
            beta2_power=tf.pow(beta_2, local_step),
            lr=tf.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.constant(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


class BatchNormalization(keras.layers.BatchNormalization):
    """Keras's BatchNormalization whose training pass is TensorFlow's FusedBatchNormV3 (one op forward,
    one backward, instead of about thirty each way), for channels-last inputs.

    The normalisation and the moving averages are Keras's: the kernel's moving variance carries Bessel's
    correction, which is undone here so inference statistics stay the biased batch variance Keras keeps.
    Inference, JAX and any other axis or option run Keras's own code. Same class name, so layer names
    (and with them saved runs) do not change.
    """

    def _fused(self, inputs, training, mask) -> bool:
        return (
            _on_tensorflow()
            and bool(training)
            and self.trainable
            and mask is None
            and not self.renorm
            and not self.synchronized
            and self.axis in (-1, len(inputs.shape) - 1)
            and len(inputs.shape) in (2, 4)
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fused(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        shape = tf.shape(inputs)
        x = inputs if len(inputs.shape) == 4 else tf.reshape(inputs, (-1, 1, 1, inputs.shape[-1]))
        x = tf.cast(x, tf.float32) if x.dtype not in (tf.float32, tf.bfloat16, tf.float16) else x
        channels = x.shape[-1]
        ones, zeros = tf.ones((channels,), tf.float32), tf.zeros((channels,), tf.float32)
        y, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=x,
            scale=tf.cast(self.gamma, tf.float32) if self.scale else ones,
            offset=tf.cast(self.beta, tf.float32) if self.center else zeros,
            mean=zeros,
            variance=ones,
            epsilon=self.epsilon,
            exponential_avg_factor=1.0,
            data_format="NHWC",
            is_training=True,
        )
        biased = variance * _bessel_inverse(x)  # the kernel returns the unbiased variance
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + biased * (1.0 - self.momentum))
        y = y if len(inputs.shape) == 4 else tf.reshape(y, shape)
        return tf.cast(y, self.compute_dtype)


def _bessel_inverse(x):
    """(n - 1) / n for the n values per channel of `x`: a number when its shape is known when traced."""
    import tensorflow as tf

    if x.shape[:-1].is_fully_defined():
        count = x.shape[:-1].num_elements()
        return (count - 1) / count if count > 1 else 1.0
    count = tf.cast(tf.size(x) // x.shape[-1], tf.float32)
    return (count - 1.0) / tf.maximum(count, 1.0)


class Conv2D(keras.layers.Conv2D):
    """Keras's Conv2D; on one input channel (an image's first layer), its input gradient is one matrix
    product and K×K shifted sums instead of TensorFlow's Conv2DBackpropInput.

    oneDNN's input-gradient kernel with one output channel runs at ~7 GFLOP/s on these CPUs: at batch 64,
    a frozen encoder reading generated digits back spent ~8 ms a step in it, 3.4x what the product
    takes. Same arithmetic (equal to float rounding), same weights; the forward pass and the
    kernel's gradient are TensorFlow's own. Other shapes, strides, paddings and JAX run Keras's code.
    Same class name, so layer names (and with them saved runs) do not change.
    """

    def _single_channel(self, inputs, kernel) -> bool:
        size = kernel.shape[0]
        return (
            _on_tensorflow()
            and None not in inputs.shape[1:3]  # the shifted sums slice at sizes known when traced
            and kernel.shape[2] == 1
            and kernel.shape[0] == kernel.shape[1]
            and size % 2 == 1
            and tuple(self.strides) == (1, 1)
            and tuple(self.dilation_rate) == (1, 1)
            and self.padding == "same"
            and self.groups == 1
            and self.data_format == "channels_last"
            and self.compute_dtype == "float32"
        )

    def convolution_op(self, inputs, kernel):
        if not self._single_channel(inputs, kernel):
            return super().convolution_op(inputs, kernel)
        import tensorflow as tf

        return _single_channel_conv(tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel))


def _single_channel_conv(images, kernel):
    import tensorflow as tf

    @tf.custom_gradient
    def conv(images, kernel):
        def grad(d_out):
            d_kernel = tf.raw_ops.Conv2DBackpropFilter(
                input=images, filter_sizes=tf.shape(kernel), out_backprop=d_out, strides=[1, 1, 1, 1], padding="SAME"
            )
            return _single_channel_input_gradient(d_out, kernel), d_kernel

        return tf.nn.conv2d(images, kernel, 1, "SAME"), grad

    return conv(images, kernel)


def _single_channel_input_gradient(d_out, kernel):
    """d(loss)/d(image) of a stride-1 'same' convolution of a one-channel image: each output pixel's
    gradient spreads over the K×K pixels it read, tap (a, b) landing at (i - a + p, j - b + p)."""
    import tensorflow as tf

    size, channels = kernel.shape[0], kernel.shape[3]
    half = size // 2
    height, width = d_out.shape[1], d_out.shape[2]
    taps = tf.transpose(tf.reshape(kernel, (size * size, channels)))  # channel -> its K×K taps
    spread = tf.reshape(tf.matmul(tf.reshape(d_out, (-1, channels)), taps), (-1, height, width, size * size))
    padded = tf.pad(spread, [[0, 0], [half, half], [half, half], [0, 0]])
    total = 0.0
    for a in range(size):
        for b in range(size):
            top, left = 2 * half - a, 2 * half - b
            total += padded[:, top : top + height, left : left + width, a * size + b]
    return total[..., None]
