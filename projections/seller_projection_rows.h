// A seller's in-memory projection (seller_projection.h) and its projection
// rows (rows.h), the durable form: loading it from them, and writing to them
// what changed (SellerProjection::write_changed_rows, defined here with the
// index rebuild a load ends with). The rows hold every fact the typed state
// keeps, so decoding them and rebuilding the indexes gives the state a fold
// of the seller's log would (a test checks every query answer of both), and
// the rows written are those the row folds write (a test checks them byte
// for byte).
#pragma once

#include "projections/rows.h"
#include "projections/seller_projection.h"

namespace carelog {

// Fills `out` (new, empty) from `rows`; false when the seller has no rows.
// Corrupt rows are skipped, as the row queries skip them.
bool load_seller_projection(const SellerRows& rows, SellerProjection& out);

}  // namespace carelog
