#include "storage/rechunk.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace berth::storage {

Result<RechunkResult> Rechunk(const Chunker& chunker, std::span<const uint32_t> old_lengths,
                              const Edit& edit, const ReadAt& read_new, const EmitChunk& emit) {
  // Old chunk boundaries as cumulative end offsets.
  std::vector<uint64_t> old_ends(old_lengths.size());
  uint64_t old_size = 0;
  for (size_t i = 0; i < old_lengths.size(); ++i) old_ends[i] = old_size += old_lengths[i];
  const int64_t new_size_signed = static_cast<int64_t>(old_size) + edit.size_delta;
  const int64_t old_edit_end = static_cast<int64_t>(edit.end) - edit.size_delta;
  if (new_size_signed < 0 || edit.begin > edit.end ||
      edit.end > static_cast<uint64_t>(new_size_signed) ||
      old_edit_end < static_cast<int64_t>(edit.begin) ||
      old_edit_end > static_cast<int64_t>(old_size)) {
    return InvalidArgumentError("rechunk: edit does not fit the content (begin " +
                                std::to_string(edit.begin) + ", end " + std::to_string(edit.end) +
                                ", old size " + std::to_string(old_size) + ")");
  }
  const uint64_t new_size = static_cast<uint64_t>(new_size_signed);

  // Start at the old chunk holding byte `begin`. The last old chunk was cut by the end of the
  // data rather than by content, so an edit at (or past) its end must re-cut it too.
  RechunkResult result;
  size_t first = std::upper_bound(old_ends.begin(), old_ends.end(), edit.begin) - old_ends.begin();
  if (first == old_ends.size() && first > 0) --first;
  result.replace_begin = first;
  result.offset = first == 0 ? 0 : old_ends[first - 1];

  const size_t max = chunker.options().max_size;
  std::vector<uint8_t> window;  // bytes of the new content from `pos`, up to max_size
  window.reserve(max);
  uint64_t pos = result.offset;
  uint64_t buffered_end = pos;  // new-content offset one past window's last byte
  size_t next_old = first;      // first old chunk whose end has not been passed yet
  while (pos < new_size) {
    // Top the window up to max_size bytes (or to the end of the data).
    uint64_t want_end = std::min<uint64_t>(new_size, pos + max);
    if (buffered_end < want_end) {
      size_t have = window.size();
      window.resize(have + (want_end - buffered_end));
      RETURN_IF_ERROR(read_new(buffered_end, std::span<uint8_t>(window).subspan(have)));
      buffered_end = want_end;
    }
    size_t cut = chunker.FindCut(ByteView(window));
    if (emit) RETURN_IF_ERROR(emit(pos, ByteView(window.data(), cut)));
    result.lengths.push_back(static_cast<uint32_t>(cut));
    window.erase(window.begin(), window.begin() + static_cast<ptrdiff_t>(cut));
    pos += cut;

    if (pos < edit.end || pos == new_size) continue;
    // Does this cut land on an old one? Old position of `pos` is pos - size_delta.
    int64_t old_pos = static_cast<int64_t>(pos) - edit.size_delta;
    while (next_old < old_ends.size() && static_cast<int64_t>(old_ends[next_old]) < old_pos) {
      ++next_old;
    }
    if (next_old < old_ends.size() && static_cast<int64_t>(old_ends[next_old]) == old_pos) {
      result.replace_end = next_old + 1;  // old chunks after this one are kept as they are
      return result;
    }
  }
  result.replace_end = old_ends.size();
  return result;
}

}  // namespace berth::storage
