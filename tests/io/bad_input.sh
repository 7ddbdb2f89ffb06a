#!/bin/sh
# One bad-input case of a spindle command (ingest, inspect, simulate-genome, embed,
# score-variants, evaluate-scores, train): makes the bad input in a fresh folder (or from
# the shared real data), then requires exit code 1, a message naming the place and what was
# expected, no output or temporary file left (expect_failure.sh) and inputs unchanged. A case made
# from the shared real data exits 77 (skipped) when a file of it is absent.
# usage: bad_input.sh CASE SPINDLE DATA_DIR WORK_DIR
set -u
case_name=$1 spindle=$2 data=$3 work=$4/$1
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
chr21=$data/genome/hg38_chr21_22M_23M/hg38_chr21_22000000_23000000.fasta
models=$here/../data/caduceus_reference
fail() { "$here/expect_failure.sh" out.h5 "$@"; }
# csv_fails PATTERN: fails as fail() does, ingesting bad.csv with its time column date.
csv_fails() { fail "$1" "$spindle" ingest csv bad.csv --time-column date --out out.h5; }
# x.fa: one 16-base record x; v.vcf: two SNVs on it.
dna_and_variants() {
  printf '>x\nACGTACGTACGTACGT\n' > x.fa
  printf '##fileformat=VCFv4.2\n##contig=<ID=x,length=16>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nx\t3\t.\tG\tA\t.\t.\t.\nx\t5\t.\tA\tC\t.\t.\t.\n' > v.vcf
}
# unchanged FILE PATTERN COMMAND...: fails as fail() does, and FILE (an input) is as it was.
unchanged() {
  file=$1 before=$(cksum < "$1")
  shift
  fail "$@" || exit 1
  [ "$(cksum < "$file")" = "$before" ] || { echo "FAIL: input $file changed"; exit 1; }
}
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
  fasta_index_has_more_records)
    # The FASTA lost its last record (an interrupted copy, an edit) after samtools indexed it.
    printf '>x\nACGT\n>y\nACGT\n' > x.fa && samtools faidx x.fa && printf '>x\nACGT\n' > x.fa
    fail "x.fa.fai: indexes record y, which x.fa does not have \(expected a .fai index made from this FASTA" \
      "$spindle" ingest fasta x.fa --out out.h5 ;;
  fasta_index_of_changed_fasta)
    # The FASTA's first record grew after samtools indexed it: embed and score-variants would
    # read bases at the old offsets, so the index is refused naming what differs.
    dna_and_variants && samtools faidx x.fa && sed -i '2s/$/ACGT/' x.fa
    stale="x.fa.fai: record x has bases past its indexed length of 16 .*x.fa changed after it was indexed.*\(expected an index made from this FASTA \(delete it to have it made again\)\)"
    fail "$stale" "$spindle" embed --model "$models/ph_fused" --fasta x.fa --out out.h5 || exit 1
    fail "$stale" "$spindle" score-variants --model "$models/ph_fused" --fasta x.fa --vcf v.vcf --window 8 \
      --out out.vcf.gz ;;
  fasta_duplicate_record_indexed)
    # htslib indexes the first of two records named x: embed and score-variants refuse the FASTA.
    dna_and_variants && printf '>x second\nTTTT\n' >> x.fa
    twice="x.fa: a second record named 'x', its header at byte 20 \(0-based\): htslib indexes only the first"
    fail "$twice" "$spindle" embed --model "$models/ph_fused" --fasta x.fa --out out.h5 || exit 1
    fail "$twice" "$spindle" score-variants --model "$models/ph_fused" --fasta x.fa --vcf v.vcf --window 8 \
      --out out.vcf.gz ;;
  csv_ragged_row)
    printf 'date,a,b\n2020-01-01 00:00:00,1,2\n2020-01-01 01:00:00,3\n' > bad.csv
    csv_fails "bad.csv:3: ragged row: 2 fields \(expected 3 fields, as in the header\)" ;;
  csv_unparseable_date)
    printf 'date,a\n2020-01-01 00:00:00,1\n2020-13-01 01:00:00,3\n' > bad.csv
    csv_fails "bad.csv:3: column date: unparseable date '2020-13-01 01:00:00' \(expected YYYY-MM-DD" ;;
  csv_missing_value)
    printf 'date,a,b\n2020-01-01 00:00:00,1,2\n2020-01-01 01:00:00,NaN,3\n' > bad.csv
    csv_fails "bad.csv:3: column a: missing value \(expected a number \(or choose a policy" ;;
  csv_time_not_increasing)
    printf 'date,a\n2020-01-01 01:00:00,1\n2020-01-01 00:00:00,3\n' > bad.csv
    csv_fails "bad.csv:3: column date: time '2020-01-01 00:00:00' does not increase" ;;
  csv_duplicate_column_name)
    printf 'date,a,b,a\n2020-01-01 00:00:00,1,2,3\n' > bad.csv
    csv_fails "bad.csv:1: columns 2 and 4 are both named 'a' \(expected a name of its own for every column\)" ;;
  csv_empty_column_name)
    # A trailing comma makes an empty last name.
    printf 'date,a,\n2020-01-01 00:00:00,1,2\n' > bad.csv
    csv_fails "bad.csv:1: column 3 has an empty name \(expected a name for every column \(a pandas index" ;;
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
  csv_no_value_columns)
    # Only the time column: a series of no channels, refused before a store is made.
    printf 'date\n2020-01-01 00:00:00\n2020-01-01 01:00:00\n' > bad.csv
    csv_fails "bad.csv:1: no value columns \(expected at least one column besides the time\)" ;;
  wfdb_no_signals)
    # A header of no signals (with or without a sample count) has nothing to store.
    printf 'r 0 360 100\n' > r.hea
    fail "r.hea:1: number of signals 0 \(expected at least one signal" "$spindle" ingest wfdb r --out out.h5 || exit 1
    printf '# annotations only\nr 0 360\n' > r.hea
    fail "r.hea:2: number of signals 0 \(expected at least one signal" "$spindle" ingest wfdb r --out out.h5 ;;
  csv_value_not_finite)
    printf 'date,a\n2020-01-01 00:00:00,1\n2020-01-01 01:00:00,-nan\n' > bad.csv
    csv_fails "bad.csv:3: column a: unparseable number '-nan' \(expected a decimal number, empty or NaN" ;;
  csv_value_past_float32)
    printf 'date,a\n2020-01-01 00:00:00,1e39\n' > bad.csv
    csv_fails "bad.csv:2: column a: number '1e39' outside the float32 range \(expected a magnitude below 3.4e38" ;;
  wfdb_sampling_frequency_not_positive)
    printf 'r 1 0 2\nr.dat 16 200 16 0\n' > r.hea && printf '\001\000\002\000' > r.dat
    fail "r.hea:1: sampling frequency 0 \(expected a finite frequency above 0 Hz\)" "$spindle" ingest wfdb r --out out.h5 ;;
  wfdb_gain_not_finite)
    printf 'r 1 360 2\nr.dat 16 nan 16 0\n' > r.hea && printf '\001\000\002\000' > r.dat
    fail "r.hea:2: gain nan \(expected a finite gain of magnitude 1e-29 or more \(ADC units per physical unit; 0 for" \
      "$spindle" ingest wfdb r --out out.h5 ;;
  wfdb_signal_count_out_of_range)
    printf 'r 4294967297 360 2\nr.dat 16 200 16 0\n' > r.hea && printf '\001\000\002\000' > r.dat
    fail "r.hea:1: number of signals 4294967297 \(expected a whole number that fits 32 bits" \
      "$spindle" ingest wfdb r --out out.h5 ;;
  wfdb_sample_count_negative)
    printf 'r 1 360 -2\nr.dat 16 200 16 0\n' > r.hea && printf '\001\000\002\000' > r.dat
    fail "r.hea:1: number of samples -2 \(expected 0 or more" "$spindle" ingest wfdb r --out out.h5 ;;
  wfdb_adc_zero_out_of_range)
    printf 'r 1 360 2\nr.dat 16 200 16 4294967296\n' > r.hea && printf '\001\000\002\000' > r.dat
    fail "r.hea:2: ADC zero 4294967296 \(expected a whole number that fits 32 bits" "$spindle" ingest wfdb r --out out.h5 ;;
  wfdb_gain_too_small)
    # 1/1e-300 of a sample would be infinite in float32.
    printf 'r 1 360 2\nr.dat 16 1e-300 16 0\n' > r.hea && printf '\001\000\002\000' > r.dat
    fail "r.hea:2: gain 1e-300 \(expected a finite gain of magnitude 1e-29 or more" "$spindle" ingest wfdb r --out out.h5 ;;
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
  ingest_removes_stale_partials)
    # A temporary left by a killed ingest (no process has id 99999999: pid_max is at most 2^22)
    # and unchanged for two hours is removed when the next ingest of the store starts, named on
    # stderr; one whose process runs (this shell's) is kept, and so is a recent one of a process
    # that does not run here (99999998: a writer on another host or in a container).
    printf '>x\nACGT\n' > x.fa && printf 'killed' > out.h5.partial-99999999 && printf 'running' > out.h5.partial-$$
    printf 'elsewhere' > out.h5.partial-99999998 && touch -d '2 hours ago' out.h5.partial-99999999 out.h5.partial-$$
    "$spindle" --log-level warn ingest fasta x.fa --out out.h5 2> err
    status=$? && cat err
    [ $status -eq 0 ] || { echo "FAIL: exit code $status, expected 0"; exit 1; }
    [ "$(grep -c 'out.h5.partial-99999999' err)" = 1 ] && [ "$(wc -l < err)" = 1 ] || { echo "FAIL: message"; exit 1; }
    [ ! -e out.h5.partial-99999999 ] || { echo "FAIL: stale temporary kept"; exit 1; }
    [ "$(cat out.h5.partial-$$)" = running ] || { echo "FAIL: a live process's temporary was touched"; exit 1; }
    [ -e out.h5.partial-99999998 ] || { echo "FAIL: a recent temporary of another host's process removed"; exit 1; }
    echo "stale temporaries ok" ;;
  ingest_out_folder_unusable)
    # A folder that does not exist, a file in place of the folder, and (not as root, whom no
    # mode stops) a folder that cannot be written: the output and the reason are named.
    printf '>x\nACGT\n' > x.fa && touch file && mkdir locked && chmod a-w locked
    fail "none/out.h5: cannot create it in .*/none: No such file or directory \(expected an existing folder that can" \
      "$spindle" ingest fasta x.fa --out none/out.h5 || exit 1
    fail "file/out.h5: cannot create it in .*/file: Not a directory" \
      "$spindle" ingest fasta x.fa --out file/out.h5 || exit 1
    [ "$(id -u)" = 0 ] || fail "locked/out.h5: cannot create it in .*/locked: Permission denied" \
      "$spindle" ingest fasta x.fa --out locked/out.h5 || exit 1
    echo "expected failure ok" ;;
  simulate_genome_short_record)
    # Seed 412989 draws no masked base in an 88-base last record: the genome is still written,
    # without the loss estimate, and a warning says why.
    "$spindle" simulate-genome --out out --length 88 --seed 412989 2> err
    status=$? && cat err
    [ $status -eq 0 ] || { echo "FAIL: exit code $status, expected 0"; exit 1; }
    grep -q "best masked-LM loss is not estimated: no base of the last record (88 bases)" err ||
      { echo "FAIL: no warning"; exit 1; }
    [ -s out.fa ] && [ -s out.json ] || { echo "FAIL: genome not written"; exit 1; }
    ! grep -q bayes_masked_lm_loss_nats out.json || { echo "FAIL: a loss without targets"; exit 1; }
    grep -q "2 x 88 bases; entropy rate" err && ! grep -q "motifs of" err || { echo "FAIL: summary line"; exit 1; }
    echo "short record ok" ;;
  simulate_genome_too_large)
    fail "simulate-genome: --records 8 x --length 4294967296 \(expected at most 4294967296 bases in all" \
      "$spindle" simulate-genome --out out --records 8 --length 4294967296 ;;
  simulate_genome_motifs_do_not_fit)
    # Records too short for the motifs and SNVs asked for: named by option with the shortest
    # --length that is enough (truth_snvs' need, 2 x --variants motif bases: 84 occurrences of
    # 12 bases, from 10,020 bases at density 0.1; one occurrence of 12 bases: 60), not as the
    # internal step that failed.
    fail "simulate-genome: --length 10 at --motif-density 0.1 plants 0 occurrences of --motif-length 12 per record: 0 motif bases on the last record, where --variants 500 needs 1000 \(expected --length 10020 or more \(enough motif bases\), or fewer --variants\)" \
      "$spindle" simulate-genome --out out --length 10 --motifs 2 || exit 1
    fail "simulate-genome: --length 10019 at --motif-density 0.1 plants 83 occurrences" \
      "$spindle" simulate-genome --out out --length 10019 --motifs 2 || exit 1
    fail "simulate-genome: --length 3 at --motif-density 0.1 plants 0 occurrences of --motif-length 12 per record \(expected --length 60 or more for one occurrence\)" \
      "$spindle" simulate-genome --out out --length 3 --motifs 2 --variants 0 || exit 1
    # Occurrences rounded up past half of a record (plant_motifs' bound) are one fewer.
    fail "simulate-genome: --length 6 at --motif-density 0.5 plants 0 occurrences of --motif-length 4 per record \(expected --length 8 or more" \
      "$spindle" simulate-genome --out out --length 6 --motifs 1 --motif-length 4 --motif-density 0.5 --variants 0 ||
      exit 1
    "$spindle" --log-level warn simulate-genome --out out --records 1 --length 14 --motifs 1 --motif-length 4 \
      --motif-density 0.5 --variants 1 && [ "$(wc -l < out.motifs.bed)" = 1 ] ||
      { echo "FAIL: 14 bases at density 0.5"; exit 1; }
    rm -f out.*
    # Dense motifs leave too little background, which is known once they are placed.
    fail "simulate-genome: chr1, the last record, has [0-9]+ bases at least 4 \(--motif-length\) from every motif occurrence, fewer than the 200 that --variants 100 needs \(expected a lower --motif-density, a longer --length or fewer --variants\)" \
      "$spindle" simulate-genome --out out --records 1 --length 1000 --motifs 1 --motif-length 4 --motif-density 0.5 \
      --variants 100 || exit 1
    ! ls out.* 2>/dev/null || { echo "FAIL: outputs written"; exit 1; } ;;
  embed_out_is_input)
    printf '>x\nACGTACGTACGTACGT\n' > x.fa
    unchanged x.fa "--out x.fa: is the input --fasta x.fa \(expected an output path other than the inputs" \
      "$spindle" embed --model "$models/ph_fused" --fasta x.fa --out x.fa
    fail "--out: an empty path \(expected a file name\)" "$spindle" embed --model "$models/ph_fused" --fasta x.fa --out "" ;;
  embed_region_repeated)
    # The same region under the same name twice (a repeated BED line, a region given again on
    # the command line, a record listed twice) is refused naming both places; overlapping
    # regions, the other strand and another BED name are embedded as given.
    printf '>x\nACGTACGTACGTACGT\n' > x.fa
    printf 'x\t0\t8\nx\t4\t12\tw\t0\t-\nx\t0\t8\n' > r.bed
    fail "r.bed:3: x:1-8 \(no strand\) is given again, first at r.bed:1 \(expected each region once" \
      "$spindle" embed --model "$models/ph_fused" --fasta x.fa --regions r.bed --out out.h5 || exit 1
    fail "--regions x: x:1-16 \(no strand\) is given again, first at --regions x:1-16" \
      "$spindle" embed --model "$models/ph_fused" --fasta x.fa --regions x:1-16 --regions x --out out.h5 || exit 1
    fail "--records: x:1-16 \(\+ strand\) is given again, first at --records" \
      "$spindle" embed --model "$models/ph_fused" --fasta x.fa --records x,x --out out.h5 || exit 1
    printf 'x\t0\t8\nx\t4\t12\nx\t0\t8\t.\t0\t-\nx\t0\t8\tv\n' > ok.bed
    "$spindle" --log-level warn embed --model "$models/ph_fused" --fasta x.fa --regions ok.bed --out ok.h5 ||
      { echo "FAIL: overlapping regions, the other strand or another name refused"; exit 1; }
    echo "expected failure ok" ;;
  embed_device_not_usable)
    # No such device on a GPU machine, none usable on a CPU-only one: either way named as --device.
    printf '>x\nACGTACGTACGTACGT\n' > x.fa
    fail "--device: cuda:99: no (usable|such) CUDA device" \
      "$spindle" embed --model "$models/ph_fused" --fasta x.fa --out out.h5 --device cuda:99 ;;
  score_variants_output_is_input)
    dna_and_variants
    unchanged v.vcf "--out v.vcf: is the input --vcf v.vcf \(expected an output path other than the inputs" \
      "$spindle" score-variants --model "$models/ph_fused" --fasta x.fa --vcf v.vcf --window 8 --out v.vcf
    unchanged x.fa "--tsv x.fa: is the input --fasta x.fa \(expected an output path other than the inputs" \
      "$spindle" score-variants --model "$models/ph_fused" --fasta x.fa --vcf v.vcf --window 8 --out out.vcf.gz --tsv x.fa ;;
  score_variants_outputs_collide)
    dna_and_variants
    fail "--tsv o.vcf.gz: is also --out \(expected a path of its own for each output" \
      "$spindle" score-variants --model "$models/ph_fused" --fasta x.fa --vcf v.vcf --window 8 --out o.vcf.gz \
      --tsv o.vcf.gz
    [ ! -e o.vcf.gz ] || { echo "FAIL: o.vcf.gz written"; exit 1; } ;;
  score_variants_batch_out_of_range)
    # A usage error (exit 2): the steps of so large a batch overflowed int64 (SIGSEGV).
    dna_and_variants
    "$spindle" score-variants --model "$models/ph_fused" --fasta x.fa --vcf v.vcf --window 8 --out out.vcf.gz \
      --batch 9223372036854775807 2> err
    status=$? && cat err
    [ $status -eq 2 ] || { echo "FAIL: exit code $status, expected 2"; exit 1; }
    grep -q "^--batch: Value 9223372036854775807 not in range 1 to 1073741824" err || { echo "FAIL: message"; exit 1; }
    echo "expected failure ok" ;;
  evaluate_scores_json_is_input)
    printf '##fileformat=VCFv4.2\n##INFO=<ID=T,Number=0,Type=Flag,Description="t">\n##INFO=<ID=S,Number=A,Type=Float,Description="s">\n##contig=<ID=x,length=16>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nx\t3\t.\tG\tA\t.\t.\tT;S=1\nx\t5\t.\tA\tC\t.\t.\tS=0\n' > v.vcf
    unchanged v.vcf "--json v.vcf: is the input --vcf v.vcf \(expected an output path other than the inputs" \
      "$spindle" evaluate-scores --vcf v.vcf --truth-flag T --score S --json v.vcf ;;
  evaluate_scores_auroc_undefined)
    # DIST has no value on the flagged allele: its AUROC is reported undefined (null in the
    # JSON) with the counts, LLR's is computed, and the command succeeds; with no AUROC at all
    # it fails naming each score's counts, and writes no JSON.
    printf '##fileformat=VCFv4.2\n##INFO=<ID=T,Number=0,Type=Flag,Description="t">\n##INFO=<ID=LLR,Number=A,Type=Float,Description="l">\n##INFO=<ID=DIST,Number=A,Type=Float,Description="d">\n##contig=<ID=x,length=16>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n' > v.vcf
    printf 'x\t3\t.\tG\tA\t.\t.\tT;LLR=-4\nx\t5\t.\tA\tC\t.\t.\tLLR=-1;DIST=0.5\nx\t7\t.\tG\tC\t.\t.\tLLR=-2;DIST=0.1\n' >> v.vcf
    "$spindle" --log-level error evaluate-scores --vcf v.vcf --truth-flag T --score LLR:lower,DIST --json out.json > table
    status=$? && cat table
    [ $status -eq 0 ] || { echo "FAIL: exit code $status, expected 0"; exit 1; }
    grep -qE "^DIST +higher +undefined" table && grep -q "^DIST: AUROC undefined: 0 alleles with T and 2 without it" table ||
      { echo "FAIL: table"; exit 1; }
    "${SPINDLE_H5PY_PYTHON:-python3}" -c "import json; s = json.load(open('out.json'))['scores']; assert s[0]['auroc'] == 1.0 and s[1]['auroc'] is None and s[1]['flagged']['unscored'] == 1, s" ||
      { echo "FAIL: JSON"; exit 1; }
    rm -f out.json
    fail "v.vcf: no score has an AUROC: DIST: 0 alleles with T and 2 without it have a value \(1 have none\)" \
      "$spindle" evaluate-scores --vcf v.vcf --truth-flag T --score DIST --json out.json ;;
  train_batch_exceeds_memory)
    # A batch whose step cannot fit in memory (a floor of 16 TiB: 2,097,152,000 tokens of a
    # 256-wide model) is refused before the first step, naming data.batch and the largest
    # batch the floor allows, instead of growing until the kernel kills the job (as it did);
    # no output folder is made.
    "$spindle" --log-level warn simulate-genome --out g --length 4000 &&
      "$spindle" --log-level warn ingest fasta g.fa --out g.h5 || exit 1
    cat > t.yaml <<'EOF'
model:
  preset: caduceus-131k-ps
  d_model: 256
  n_layer: 2
data:
  store: g.h5
  window: 2000
  batch: 1048576
  validation:
    records: [chr2]
optimizer:
  lr: 1.0e-3
steps: 2
output: run
EOF
    fail "t.yaml:8: data.batch: 1048576 windows of 2000 tokens need at least [0-9.]+ TiB of host memory in a step \(.*\), more than the [0-9.]+ [GMT]iB this machine has \(expected far fewer windows \(this floor alone allows [0-9]+;" \
      "$spindle" train --config t.yaml || exit 1
    [ ! -e run ] || { echo "FAIL: output folder made"; exit 1; } ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
