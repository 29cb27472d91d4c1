-- Sampled mode: a recorded allocation stands for `weight` real ones (1 in full mode).
-- Every byte or count sum multiplies by it; see docs/RATIONALE.md "Sampling weights".
ALTER TABLE allocations ADD COLUMN weight double precision NOT NULL DEFAULT 1;
