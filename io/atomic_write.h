// Outputs that appear only when complete: a file or a folder is written under a temporary
// name beside its target ("<target>.partial-<pid>") and renamed over the target at the end,
// so that an error, a crash or a kill never leaves a target that looks complete but is not.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace spindle {

// Refuses an output path that is empty or names one of `inputs` (the same file by any path):
// an output is renamed over its path, which would replace an input of the run. `option`
// names the output in the error ("--out"); each input comes with its option ("--vcf").
void refuse_output_over_inputs(const std::string& option, const std::string& output,
                               const std::vector<std::pair<std::string, std::string>>& inputs);

// Refuses two of `outputs` (option, path) that name the same file, existing or not: the one
// renamed into place last would replace the other. Empty paths (outputs not asked for) are skipped.
void refuse_shared_outputs(const std::vector<std::pair<std::string, std::string>>& outputs);

// `path` absolute, with links resolved as far as it exists (std::filesystem::weakly_canonical);
// as written, made absolute, when it cannot be resolved (a parent that is a file).
std::string resolved_path(const std::string& path);

// Whether `a` and `b` name the same file: std::filesystem::equivalent when both exist (any
// path to it: relative or absolute, through links, hard links), else their resolved_path.
bool same_file(const std::string& a, const std::string& b);

// The temporary name of a new output `target`: "<target>.partial-<pid>" of this process. Refuses
// (spindle::Error naming `target`, the folder and the system's reason) an empty path and a
// folder that does not exist or cannot be written: HDF5's create error says neither. Deletes the
// "<target>.partial-<pid>" files and folders left by a crash or a kill, with a warning naming
// each: those whose process does not run here (kill(pid, 0): ESRCH) and that have not changed
// for an hour, since a process id that does not run here may still be a live writer's on
// another host sharing the folder, or in another pid namespace.
std::string prepare_partial_output(const std::string& target);

// Renames the finished output `temporary` (a file, or a folder with everything in it) to
// `target` durably: its bytes are flushed to the disk (fsync) before the rename, and the
// rename itself after it (fsync of the folder holding `target`), so that even after a power
// cut `target` is the old output or the whole new one, never a new name over bytes that were
// still in the page cache. Throws spindle::Error naming `target`.
void rename_durably(const std::string& temporary, const std::string& target);

// Writes `path`: `write` fills the temporary file's stream; the file is renamed over `path`
// (rename_durably) when `write` returns and the stream reports no error, and deleted
// otherwise (the error propagates). The folder of `path` must exist.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Fills a new folder `path`: `fill` writes into the temporary folder it is given; that
// folder then replaces `path` (an existing `path` is moved aside, the new folder renamed in
// durably, the old one deleted). On an error the temporary folder is deleted and `path` is
// unchanged. An old folder that a crash left moved aside ("<path>.replaced-<pid>", under
// prepare_partial_output's rule for a process that no longer runs) is deleted when `path`
// exists, and renamed back to `path` when it does not (the new folder never landed).
void write_folder_atomically(const std::string& path, const std::function<void(const std::string&)>& fill);

// Settles every old folder that write_folder_atomically left moved aside in `folder` (under
// the rule above: deleted when its output is in place, renamed back when not), for a reader
// that finds outputs by listing `folder` (a resume looking for the newest checkpoint) before
// any of them is written again. A folder that does not exist holds nothing to settle.
void settle_replaced_folders_in(const std::string& folder);

// An old folder that write_folder_atomically left moved aside in a folder: `output` is the
// path it replaced (its name without ".replaced-<pid>").
struct ReplacedFolder {
  std::string path;
  std::string output;
};

// The old folders moved aside in `folder` as they are now, sorted by path: after
// settle_replaced_folders_in, those it left (their process may still run here, or they were
// moved aside less than an hour ago), for an error that names them.
std::vector<ReplacedFolder> replaced_folders_in(const std::string& folder);

}  // namespace spindle
