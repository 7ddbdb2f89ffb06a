#!/bin/sh
# One bad-input case of `spindle ingest` / `spindle inspect`: makes the bad input in a fresh
# folder from the shared real data, then requires exit code 1, a message naming the place
# and what was expected, and no output or temporary file left (expect_failure.sh). A case
# made from the shared real data exits 77 (skipped) when a file of it is absent.
# usage: bad_input.sh CASE SPINDLE DATA_DIR WORK_DIR
set -u
case_name=$1 spindle=$2 data=$3 work=$4/$1
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
chr21=$data/genome/hg38_chr21_22M_23M/hg38_chr21_22000000_23000000.fasta
fail() { "$here/expect_failure.sh" out.h5 "$@"; }
needs() { "$here/../support/require_shared_data.sh" "$@" || exit; }

case $case_name in
  fasta_truncated_gzip)
    needs "$chr21"
    gzip -c "$chr21" | head -c 200000 > cut.fa.gz
    fail "cut.fa.gz: after line [0-9]+: corrupt or truncated gzip data \(byte [0-9]+ of the file\)" \
      "$spindle" ingest fasta cut.fa.gz --out out.h5 ;;
  fasta_truncated_bgzip)
    needs "$chr21"
    bgzip -c "$chr21" | head -c 200000 > cut.fa.gz
    fail "cut.fa.gz: truncated bgzip file.*expected a complete bgzip file" "$spindle" ingest fasta cut.fa.gz --out out.h5 ;;
  fasta_sequence_before_header)
    printf 'ACGT\n>x\nACGT\n' > bad.fa
    fail "bad.fa:1:1: sequence data before the first header \(expected a '>' header line\)" \
      "$spindle" ingest fasta bad.fa --out out.h5 ;;
  fasta_header_without_name)
    printf '>x\nACGT\n> y\nACGT\n' > bad.fa
    fail "bad.fa:3:2: header without a name" "$spindle" ingest fasta bad.fa --out out.h5 ;;
  fasta_unknown_character)
    printf '>x\nACGTNNacgt\nACG-T\n' > bad.fa
    fail "bad.fa:3:4: unknown character '-' in sequence \(expected a base A C G T N" \
      "$spindle" ingest fasta bad.fa --out out.h5 ;;
  fasta_record_without_bases)
    printf '>x\n>y\nACGT\n' > bad.fa
    fail "bad.fa:1: record x: record has no bases" "$spindle" ingest fasta bad.fa --out out.h5 ;;
  fasta_name_not_storable)
    printf '>chr1\nACGT\n>a/b\nACGT\n' > bad.fa
    fail "bad.fa:3: record a/b: cannot name an HDF5 dataset \(expected a non-empty name without '/'\)" \
      "$spindle" ingest fasta bad.fa --out out.h5 ;;
  fasta_duplicate_record)
    printf '>chr1\nACGT\n>chr1\nACGT\n' > bad.fa
    fail "bad.fa:3: record chr1: a sequence of this name is already in the store" "$spindle" ingest fasta bad.fa --out out.h5 ;;
  fasta_missing_gzi)
    needs "$chr21"
    bgzip -c "$chr21" > x.fa.gz && samtools faidx x.fa.gz && rm x.fa.gz.gzi
    fail "x.fa.gz: missing index x.fa.gz.gzi \(expected a .gzi index \(bgzip FASTA\) beside the FASTA" \
      "$spindle" ingest fasta x.fa.gz --out out.h5 ;;
  fasta_index_mismatch)
    printf '>x\nACGTACGT\n' > x.fa && samtools faidx x.fa && printf '>x\nACGTACG\n' > x.fa
    fail "x.fa:1: record x: 7 bases read, but the .fai index says 8" "$spindle" ingest fasta x.fa --out out.h5 ;;
  csv_ragged_row)
    printf 'date,a,b\n2020-01-01 00:00:00,1,2\n2020-01-01 01:00:00,3\n' > bad.csv
    fail "bad.csv:3: ragged row: 2 fields \(expected 3 fields, as in the header\)" \
      "$spindle" ingest csv bad.csv --time-column date --out out.h5 ;;
  csv_unparseable_date)
    printf 'date,a\n2020-01-01 00:00:00,1\n2020-13-01 01:00:00,3\n' > bad.csv
    fail "bad.csv:3: column date: unparseable date '2020-13-01 01:00:00' \(expected YYYY-MM-DD" \
      "$spindle" ingest csv bad.csv --time-column date --out out.h5 ;;
  csv_missing_value)
    printf 'date,a,b\n2020-01-01 00:00:00,1,2\n2020-01-01 01:00:00,NaN,3\n' > bad.csv
    fail "bad.csv:3: column a: missing value \(expected a number \(or choose a policy" \
      "$spindle" ingest csv bad.csv --time-column date --out out.h5 ;;
  csv_time_not_increasing)
    printf 'date,a\n2020-01-01 01:00:00,1\n2020-01-01 00:00:00,3\n' > bad.csv
    fail "bad.csv:3: column date: time '2020-01-01 00:00:00' does not increase" \
      "$spindle" ingest csv bad.csv --time-column date --out out.h5 ;;
  wfdb_size_mismatch)
    needs "$data/ecg/100.hea" "$data/ecg/100.dat"
    cp "$data/ecg/100.hea" . && head -c 1949997 "$data/ecg/100.dat" > 100.dat
    fail "100.dat: header/data size mismatch: 1949997 bytes of samples \(expected 1950000 bytes for 650000 samples x 2 signals in format 212 \(.*100.hea:3\)\)" \
      "$spindle" ingest wfdb 100 --out out.h5 ;;
  wfdb_unsupported_format)
    needs "$data/ecg/100.hea" "$data/ecg/100.dat"
    sed 's/ 212 / 310 /' "$data/ecg/100.hea" > 100.hea && cp "$data/ecg/100.dat" .
    fail "100.hea:3: unsupported signal format 310 \(expected format 16, 212 or 80\)" "$spindle" ingest wfdb 100 --out out.h5 ;;
  wfdb_checksum_mismatch)
    needs "$data/ecg/100.hea" "$data/ecg/100.dat"
    cp "$data/ecg/100.hea" . && cp "$data/ecg/100.dat" . && chmod u+w 100.dat && printf '\377' | dd of=100.dat bs=1 seek=1000 conv=notrunc 2>/dev/null
    fail "100.hea:[35]: checksum of (MLII|V5) in .*100.dat is -?[0-9]+ \(expected the header's checksum" \
      "$spindle" ingest wfdb 100 --out out.h5 ;;
  wfdb_truncated_annotations)
    needs "$data/ecg/100.hea" "$data/ecg/100.dat" "$data/ecg/100.atr"
    cp "$data/ecg/100.hea" "$data/ecg/100.dat" . && head -c 3001 "$data/ecg/100.atr" > 100.atr
    fail "100.atr: byte 3000: file ends inside an annotation" "$spindle" ingest wfdb 100 --out out.h5 ;;
  store_unknown_major_version)
    "${SPINDLE_H5PY_PYTHON:-python3}" -c "import h5py; f = h5py.File('future.h5', 'w'); f.attrs['spindle_format'] = 'spindle-store'; f.attrs['spindle_format_version'] = '2.0'"
    fail "future.h5: store format version 2.0 is not supported by this spindle \(expected format version 1.x\)" \
      "$spindle" inspect future.h5 ;;
  store_unchanged_after_failed_ingest)
    printf '>good\nACGT\n' > good.fa && printf '>bad\nACXT\n' > bad.fa
    "$spindle" --log-level warn ingest fasta good.fa --out kept.h5 || exit 1
    before=$(cksum < kept.h5)
    "$here/expect_failure.sh" none.h5 "bad.fa:2:3: unknown character 'X'" "$spindle" ingest fasta bad.fa --out kept.h5 || exit 1
    [ "$(cksum < kept.h5)" = "$before" ] || { echo "FAIL: kept.h5 changed"; exit 1; }
    ls kept.h5.partial-* 2>/dev/null && { echo "FAIL: temporary left"; exit 1; }
    echo "store unchanged ok" ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
