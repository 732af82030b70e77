#pragma once
// A small built-in 5x7 pixel font, so pictures can name their panels without a font file.
// Letters are drawn as capitals; characters it lacks are drawn as '?'.
#include <string>

#include "glass/io/png_image.h"

namespace glass {

// Draws text with its top-left corner at (x, y); each font pixel becomes scale x scale pixels.
void draw_text(RgbImage& image, int x, int y, const std::string& text, const uint8_t rgb[3], int scale = 2);
int text_width(const std::string& text, int scale = 2);  // pixels, including letter spacing
int text_height(int scale = 2);

// The panel with a white strip above it holding the caption, left-aligned.
RgbImage with_caption(const RgbImage& panel, const std::string& caption, int scale = 2);

}  // namespace glass
