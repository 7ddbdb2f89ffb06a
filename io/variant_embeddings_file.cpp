#include "io/variant_embeddings_file.h"

#include <filesystem>

#include "io/atomic_write.h"
#include "io/hdf5_attributes.h"
#include "io/hdf5_datasets.h"
#include "io/hdf5_handle.h"
#include "io/store_file.h"

namespace spindle {

void write_variant_embeddings(const std::string& path, const VariantEmbeddings& e) {
  const size_t count = e.chrom.size();
  SPINDLE_CHECK(e.ref_allele.size() == count && e.alt_allele.size() == count && e.position.size() == count &&
                    e.record.size() == count && e.allele.size() == count && e.ref.defined() && e.alt.defined() &&
                    e.ref.shape() == e.alt.shape() && e.ref.size(0) == static_cast<int64_t>(count) &&
                    e.ref.dtype() == DType::f32 && e.ref.device().is_cpu() && e.ref.is_contiguous() &&
                    e.alt.is_contiguous(),
                path, "inconsistent variant embeddings (" + std::to_string(count) + " variants)",
                "ref and alt host f32 [variants, width] and one chrom, position, alleles, record per variant");
  const std::string temporary = prepare_partial_output(path);
  prepare_hdf5();
  try {
    {
      Hdf5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
      check_hdf5(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds");
      Hdf5Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                      "H5Fcreate " + temporary);
      const hid_t root = file.get();
      write_attribute(root, "spindle_format", std::string("spindle-variant-embeddings"));
      write_attribute(root, "spindle_format_version", std::string("1.0"));
      write_attribute(root, "spindle_version", e.spindle_version);
      write_attribute(root, "model", e.model_directory);
      write_attribute(root, "model_variant", e.model_variant);
      write_attribute(root, "width", e.ref.size(1));
      write_attribute(root, "window", e.window);
      write_attribute(root, "pool", e.pool);
      write_attribute(root, "rc_average", int64_t{1});
      write_attribute(root, "precision", e.precision);
      write_attribute(root, "device", e.device);
      write_attribute(root, "vcf", e.vcf);
      write_attribute(root, "fasta", e.fasta);
      write_dataset(root, "/ref", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, e.ref.shape(), e.ref.raw_data(), 0,
                    store::Compression::none);
      write_dataset(root, "/alt", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, e.alt.shape(), e.alt.raw_data(), 0,
                    store::Compression::none);
      const std::vector<int64_t> dims{static_cast<int64_t>(count)};
      write_string_dataset(root, "/chrom", e.chrom);
      write_string_dataset(root, "/ref_allele", e.ref_allele);
      write_string_dataset(root, "/alt_allele", e.alt_allele);
      for (const auto& [name, values] : {std::pair{"/position", &e.position}, std::pair{"/record", &e.record},
                                         std::pair{"/allele", &e.allele}}) {
        write_dataset(root, name, H5T_STD_I64LE, H5T_NATIVE_INT64, dims, values->data(), 0, store::Compression::none);
      }
      check_hdf5(H5Fflush(root, H5F_SCOPE_GLOBAL), "H5Fflush " + temporary);
    }
    rename_durably(temporary, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

}  // namespace spindle
