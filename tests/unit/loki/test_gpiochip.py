"""The GPIO character-device backend's ABI: struct sizes and ioctl numbers from linux/gpio.h."""

from jotunheim.loki.children import gpiochip


def test_struct_sizes_match_the_kernel_uapi():
    # sizeof() of the v2 structs on every Linux ABI (all fields are fixed-width, 8-aligned)
    assert gpiochip._CONFIG.size == 272  # struct gpio_v2_line_config
    assert gpiochip._REQUEST.size == 592  # struct gpio_v2_line_request
    assert gpiochip._VALUES.size == 16  # struct gpio_v2_line_values


def test_ioctl_numbers_match_the_kernel_uapi():
    # Values of GPIO_V2_GET_LINE_IOCTL, GPIO_V2_LINE_GET/SET_VALUES_IOCTL on Linux
    assert gpiochip.GET_LINE == 0xC250B407
    assert gpiochip.GET_VALUES == 0xC010B40E
    assert gpiochip.SET_VALUES == 0xC010B40F


def test_request_packs_offset_consumer_and_output_value():
    config = gpiochip._CONFIG.pack(
        gpiochip.FLAG_OUTPUT,
        1,
        0,
        0,
        0,
        0,
        0,
        gpiochip.ATTR_ID_OUTPUT_VALUES,
        0,
        1,
        1,
        *([0] * 36),
    )
    request = gpiochip._REQUEST.pack(
        7, *([0] * 63), b"jotunheim-loki", config, 1, 0, 0, 0, 0, 0, 0, 0
    )
    fields = gpiochip._REQUEST.unpack(request)
    assert fields[0] == 7 and fields[64].rstrip(b"\0") == b"jotunheim-loki"
    assert fields[66] == 1  # num_lines
    flags, num_attrs = gpiochip._CONFIG.unpack(fields[65])[:2]
    assert flags == gpiochip.FLAG_OUTPUT and num_attrs == 1
