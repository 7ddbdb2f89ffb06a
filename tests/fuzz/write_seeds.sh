#!/usr/bin/env bash
# Writes a few valid inputs for each fuzz target of this folder into CORPUS/TARGET/: the
# seeds deploy/fuzz.sh starts from, and the inputs the fuzz_replay tests run the targets on.
#   write_seeds.sh CORPUS
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$1
rm -rf "$corpus"
seed() {  # seed TARGET NAME: the seed's bytes come from stdin
  mkdir -p "$corpus/$1"
  cat > "$corpus/$1/$2"
}
# The first byte of a csv_series input picks its options (tests/fuzz/fuzz_csv_series.cpp).
printf '\x05date,HUFL,OT\n2016-07-01 00:00:00,5.8,30.5\n2016-07-01 01:00:00,,27.8\n2016-07-01 02:00,5.2,nan\n' |
  seed csv_series dated
printf '\x00a,"b ""quoted""",c\n1,2,3\n4.5e-1,-6,7\n' | seed csv_series plain
# A header, NUL, then the signal file: 2 signals x 4 frames in format 212, and format 16.
{ printf 'fz7rec 2 360 4 10:00:00 01/07/2016\nfz7rec.dat 212 200 11 1024\nfz7rec.dat 212 200(1000)/uV\n'
  printf '# comment\n\0'
  printf '\xe3\x33\x3f\xe2\x43\x3f\xe5\x33\x3f\xe4\x23\x3f'; } | seed wfdb_record format212
{ printf 'fz7rec 1 500 3\nfz7rec.dat 16+2 2000(-5)/uV 16 0\n\0'
  printf '\x00\x00\x10\x00\xf0\xff\x00\x80'; } | seed wfdb_record format16
# Annotations: N at 100, V 50 later with the AUX string "(N", a SKIP of 16, N 1 later, the end word.
printf '\x64\x04\x32\x14\x02\xfc\x28\x4e\x00\xec\x00\x00\x10\x00\x01\x04\x00\x00' | seed wfdb_annotations beats
header='{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]}}'
{ printf "\\x$(printf %02x ${#header})\\x00\\x00\\x00\\x00\\x00\\x00\\x00%s" "$header"
  printf '\x00\x00\x80\x3f\x00\x00\x00\xc0\x80\x3f\x00\xc0'; } | seed safetensors two_tensors
fasta='>chr1 test record\nACGTNACGTRYacgtn\nACG\n\n>chr2\r\nGGCC\r\n'
printf "$fasta" | seed fasta plain
printf "$fasta" | gzip -c | seed fasta gzip
printf "$fasta" | bgzip -c | seed fasta bgzip
{ printf '##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n'
  printf '##INFO=<ID=AF,Number=A,Type=Float,Description="x">\n'
  printf '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n'
  printf 'chr1\t10\trs1\tA\tG,T\t.\tPASS\tAF=0.1,0.2\nchr1\t20\t.\tACG\tA\t50\t.\t.\n'
  printf 'chr1\t30\t.\tC\t<DEL>\t.\t.\t.\nchr1\t40\t.\tG\t*\t.\t.\t.\n'; } | seed vcf records
printf 'track name=x\nchr1\t0\t100\tpeak\t0\t+\nchr2\t5\t10\n' | seed bed regions
seed train_config docs_example < "$root/docs/train_caduceus.yaml"
seed caduceus_config ph < "$root/tests/data/caduceus_reference/ph_fused/config.json"
seed caduceus_config ps < "$root/tests/data/caduceus_reference/ps_fused/config.json"
printf '\x00chr1:1,001-2,000' | seed text_fields region
printf '\x01chrX:5-10' | seed text_fields interval
printf '\x02{"a": [1, 2.5, "x"], "b": null}' | seed text_fields json
printf '\x03cuda:1' | seed text_fields device
printf '\x04ffill' | seed text_fields missing_policy
printf '\x052016-07-01T00:00:00.125Z' | seed text_fields timestamp
