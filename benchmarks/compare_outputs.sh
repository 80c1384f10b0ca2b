#!/bin/bash
# Issue 23's bit-identical check: two mri-enhance binaries, BASE and NEW, run the
# same seeded commands (demo-dataset, a short train, enhance) into separate
# folders, and every file they write is compared byte for byte, case by case:
#   png       the demo dataset of pictures, trained and enhanced
#   nifti     a NIfTI demo, trained and enhanced (with the per-slice CSV)
#   dicom     a DICOM demo, trained and enhanced
#   superres  a super-resolution model trained on a NIfTI demo, a volume x2 through-plane
# Run by hand (about 5 minutes on 2 cores):
#   benchmarks/compare_outputs.sh BASE_BINARY NEW_BINARY WORK_DIR [CASE...]
# e.g. benchmarks/compare_outputs.sh /tmp/base/build/app/mri-enhance build/app/mri-enhance /tmp/cmp
# Giving the same binary twice checks determinism. THREADS (default 2) is the
# --threads of train and enhance for both; OMP_WAIT_POLICY=passive.
# COMPARE_ONLY=1 compares the folders of an earlier run again without running.
# Prints one line per case, "case  files-compared  identical|DIFFERENT (first
# differing file, in the order the steps wrote them)", then what differs; exits
# 0 only if every case is identical.
# Compared exactly, except what is meant to differ between two runs:
# - model files: the header JSON without each epoch's elapsed_seconds, and the
#   LibTorch archive byte for byte or, where its bytes differ, by content: every
#   tensor (weights, buffers, the optimiser's moments) and record, the first
#   differing ones named. LibTorch keys the optimiser's state by each parameter's
#   memory address (and orders it so), so no two trainings write the same archive
#   bytes, even with one binary; the state is compared by the parameter's place;
# - CSVs: without columns named for times (seconds, time, duration, elapsed);
# - --json reports: without started, finished, seconds, timings, machine, *_seconds,
#   and without the keys JSON_IGNORE names (e.g. JSON_IGNORE="/settings/threads",
#   for a key a change adds on purpose; the output says what it ignored);
# - a model's SHA-256 in CSVs and reports (it covers the elapsed times) is
#   replaced by the name of the model file of that run that has it;
# - DICOM files: every element, with the UIDs that the writer draws at random
#   numbered by first appearance in the run (so two runs must use them alike),
#   without group lengths (they follow the UIDs' lengths);
# - .gz files: their decompressed bytes when the compressed ones differ.
# Each run's folder, step logs and times stay under WORK_DIR/CASE/{base,new}.
set -uo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,/^set -uo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
    exit 2
fi
absolute() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
base_binary="$(absolute "$1")"
new_binary="$(absolute "$2")"
mkdir -p "$3" || exit 2
work="$(cd "$3" && pwd)"
shift 3
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(png nifti dicom superres)
threads="${THREADS:-2}"
export OMP_WAIT_POLICY=passive
for binary in "$base_binary" "$new_binary"; do
    [ -x "$binary" ] || { echo "compare_outputs.sh: '$binary' is not an executable." >&2; exit 2; }
done

# The seeded commands of each case, run in the run's folder with relative paths
# (so that paths written into the outputs are the same); one command a line.
steps_of() {
    local train="--seed 1 --threads $threads --epochs 2 --json train.json"
    local enhance="--threads $threads --json enhance.json"
    case "$1" in
    png)
        echo "demo-dataset --out demo --slices 12 --seed 3 --json demo.json"
        echo "train --dataset demo --model demo/model.pt $train --set patches_per_image=8"
        echo "enhance --dataset demo --model demo/model.pt $enhance" ;;
    nifti|dicom)
        echo "demo-dataset --out demo --format $1 --patients 2 --slices 12 --seed 3 --json demo.json"
        echo "train --dataset demo --model demo/model.pt $train --set patches_per_image=8"
        echo "enhance --dataset demo --model demo/model.pt $enhance --per-slice-csv demo/slices.csv" ;;
    superres)
        echo "demo-dataset --out demo --format nifti --patients 1 --slices 12 --seed 3 --json demo.json"
        echo "train --dataset demo --model demo/sr.pt --objective superres --scale 2 $train --set patches_per_image=8"
        echo "enhance --dataset demo --model demo/sr.pt --scale 2 --through-plane $enhance" ;;
    *) return 1 ;;
    esac
}

# run BINARY CASE SIDE: the steps into WORK/CASE/SIDE/run, logs and the files
# each step left in WORK/CASE/SIDE/logs; prints the seconds taken.
run() {
    local binary="$1" name="$2" side="$3" folder="$work/$2/$3" step=0 line start status
    rm -rf "$folder"
    mkdir -p "$folder/run" "$folder/logs"
    start=$(date +%s.%N)
    while read -r line; do
        step=$((step + 1))
        # shellcheck disable=SC2086 # the step's words
        (cd "$folder/run" && "$binary" $line > "../logs/step$step.out" 2> "../logs/step$step.err")
        status=$?
        (cd "$folder/run" && find . -type f | sort > "../logs/step$step.files")
        echo "$line" > "$folder/logs/step$step.command"
        if [ $status -ne 0 ]; then
            echo "$side: step $step ($line) exited with $status: $(tail -1 "$folder/logs/step$step.err")" > "$folder/logs/failed"
            break
        fi
    done < <(steps_of "$name")
    awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }'
}

compare() {
    /usr/bin/python3 - "$@" <<'PYTHON'
import csv, gzip, hashlib, io, json, os, pickle, re, struct, sys, zipfile

name, base_dir, new_dir, base_binary, new_binary = sys.argv[1:6]
MODEL_MAGIC_PREFIX = b"mri-enhance-model\n"
TIME_COLUMN = re.compile(r"(^|_)(seconds|time|duration|elapsed)(_|$)", re.I)
RUN_FOLDER = re.compile(r"[^\s\"',]*/(base|new)/run(?=[/\"])")
VOLATILE_KEYS = {"started", "finished", "seconds", "timings", "machine"}

def files_in_order(side):
    """Relative paths in the order the steps wrote them: (step, path)."""
    order, seen = [], set()
    logs = os.path.join(side, "logs")
    step = 1
    while os.path.exists(os.path.join(logs, "step%d.files" % step)):
        for line in open(os.path.join(logs, "step%d.files" % step)):
            path = line.strip()[2:]
            if path and path not in seen:
                seen.add(path)
                order.append((step, path))
        step += 1
    return order

def model_shas(run):
    shas = {}
    for root, _, names in os.walk(run):
        for n in names:
            path = os.path.join(root, n)
            with open(path, "rb") as f:
                head = f.read(64)
            if head.startswith(MODEL_MAGIC_PREFIX) or n.endswith(".pt"):
                shas[hashlib.sha256(open(path, "rb").read()).hexdigest()] = os.path.relpath(path, run)
    return shas

def text_of(data, run, binary, shas):
    text = data.decode("utf-8", "replace")
    for sha, path in shas.items():
        text = text.replace(sha, "<sha256 of %s>" % path)
    text = text.replace(binary, "<binary>").replace(run, "<run>")
    return RUN_FOLDER.sub("<run>", text)  # a work folder compared again after a move

def split_model(data):
    """(header JSON, archive) of a model file, or None when it is not one."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1)
    if first < 0 or second < 0 or not data[first + 1:second].isdigit():
        return None
    length = int(data[first + 1:second])
    return data[:first], data[second + 1:second + 1 + length], data[second + 1 + length:]

def without_volatile(value):
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items()
                if k not in VOLATILE_KEYS and not k.endswith("_seconds")}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value

def json_differences(a, b, where="", found=None):
    """Every place where a and b differ (keys in any order), as short texts."""
    found = [] if found is None else found
    if type(a) != type(b):
        found.append("%s: %r vs %r" % (where or "/", a, b))
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                found.append("%s/%s only in %s" % (where, k, "base" if k in a else "new"))
            else:
                json_differences(a[k], b[k], "%s/%s" % (where, k), found)
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            json_differences(x, y, "%s[%d]" % (where, i), found)
        if len(a) != len(b):
            found.append("%s: length %d vs %d" % (where, len(a), len(b)))
    elif a != b:
        found.append("%s: %r vs %r" % (where, a, b))
    return found

IGNORED = set(os.environ.get("JSON_IGNORE", "").split())

def first_json_difference(a, b):
    found = [f for f in json_differences(a, b) if f.split(" ")[0].rstrip(":") not in IGNORED]
    return "; ".join(found[:4]) + (" (+%d more)" % (len(found) - 4) if len(found) > 4 else "") if found else None

class Stub:
    """A TorchScript object of the archive's pickle, its class name dropped."""
    def __setstate__(self, state):
        self.state = state

class ArchiveUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, size, stride, *rest: ("tensor", storage, offset, tuple(size), tuple(stride))
        if (module, name) == ("collections", "OrderedDict"):
            return dict
        return type(name, (Stub,), {"kind": name})

    def persistent_load(self, pid):
        return ("storage", pid[1].kind, pid[2])  # ('storage', type, key, location, numel)

ADDRESS = re.compile(r"^0x[0-9a-f]+$")

def archive_lines(archive):
    """The LibTorch archive as 'path = value' lines: tensors as dtype, shape and
    the SHA-256 of their storage, the optimiser's state keyed by the parameter's
    place in its group instead of the parameter's memory address (LibTorch
    names it so, and the state's order follows the addresses)."""
    zip_file = zipfile.ZipFile(io.BytesIO(archive))
    names = zip_file.namelist()
    pickled = [n for n in names if n.endswith("/data.pkl")][0]
    prefix = pickled[:-len("data.pkl")]
    root = ArchiveUnpickler(io.BytesIO(zip_file.read(pickled))).load()
    places = {}
    def find_params(node):
        if isinstance(node, Stub):
            node = node.state
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and key.startswith("params/") and isinstance(value, str):
                    places.setdefault(value, "param%s" % key[len("params/"):].zfill(3))
                find_params(value)
    find_params(root)
    lines = []
    def walk(node, path):
        if isinstance(node, Stub):
            node = node.state
        if isinstance(node, dict):
            items = [(places.get(k, "address" if ADDRESS.match(str(k)) else k), v) for k, v in node.items()]
            for key, value in sorted(items, key=lambda kv: str(kv[0])):
                walk(value, "%s/%s" % (path, key))
        elif isinstance(node, (list, tuple)) and node and node[0] == "tensor":
            _, (_, kind, key), offset, size, stride = node
            data = zip_file.read(prefix + "data/" + key)
            lines.append("%s = %s %s %s offset %d sha256 %s" % (path, kind, size, stride, offset,
                                                                hashlib.sha256(data).hexdigest()))
        elif isinstance(node, str) and ADDRESS.match(node):
            lines.append("%s = %s" % (path, places.get(node, "unknown address")))
        else:
            lines.append("%s = %r" % (path, node))
    walk(root, "")
    # The rest but the tensors' bytes (above) and the generated class code (names with addresses).
    for name in names:
        if not name.startswith(prefix + "data/") and not name.startswith(prefix + "code/") and name != pickled:
            lines.append("member %s sha256 %s" % (name[len(prefix):], hashlib.sha256(zip_file.read(name)).hexdigest()))
    return lines

def compare_models(a, b):
    ma, mb = split_model(a), split_model(b)
    if ma is None or mb is None:
        return "not a model file on one side"
    if ma[0] != mb[0]:
        return "magic differs"
    ha = without_volatile(json.loads(ma[1]))
    hb = without_volatile(json.loads(mb[1]))
    header = first_json_difference(ha, hb)
    archive = None
    if ma[2] != mb[2]:
        la, lb = archive_lines(ma[2]), archive_lines(mb[2])
        differing = [x.split(" = ")[0] for x, y in zip(la, lb) if x != y]
        if len(la) != len(lb):
            archive = "archive holds %d entries vs %d" % (len(la), len(lb))
        elif differing:
            archive = ("archive entries differ: " + ", ".join(differing[:4])
                       + (" (+%d more)" % (len(differing) - 4) if len(differing) > 4 else ""))
    if header or archive:
        return "; ".join(x for x in ("header " + header if header else None, archive) if x)
    return None

def normal_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return rows
    keep = [i for i, h in enumerate(rows[0]) if not TIME_COLUMN.search(h.strip())]
    return [[r[i] if i < len(r) else None for i in keep] for r in rows]

KNOWN_UID_TAGS = {0x00020003, 0x00080016, 0x00080018, 0x0020000D, 0x0020000E, 0x00200052,
                  0x00081150, 0x00081155, 0x00020002, 0x00020010, 0x00020012}
LONG_VRS = {b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV", b"SV", b"UV"}

class Dicom:
    """A DICOM file's elements as (path, tag, VR, value) lines, UIDs numbered."""
    def __init__(self, uids):
        self.uids = uids
        self.lines = []

    def uid(self, raw):
        value = raw.rstrip(b"\0 ").decode("ascii", "replace")
        if value.startswith("1.2.840.10008."):
            return value  # a standard SOP class or transfer syntax
        return "UID#%d" % self.uids.setdefault(value, len(self.uids) + 1)

    def value(self, tag, vr, raw):
        if vr == b"UI" or (vr is None and tag in KNOWN_UID_TAGS):
            return self.uid(raw)
        if len(raw) > 64:
            return "%d bytes sha256 %s" % (len(raw), hashlib.sha256(raw).hexdigest())
        return raw.hex()

    def parse(self, data, pos, end, explicit, where):
        while pos < end:
            group, element = struct.unpack_from("<HH", data, pos)
            tag = (group << 16) | element
            pos += 4
            if group == 0xFFFE:  # item or delimiter
                length = struct.unpack_from("<I", data, pos)[0]
                pos += 4
                if element == 0xE00D or element == 0xE0DD:
                    return pos
                raise ValueError("an item outside a sequence at %d" % pos)
            vr = None
            if explicit:
                vr = data[pos:pos + 2]
                pos += 2
                if vr in LONG_VRS:
                    length = struct.unpack_from("<I", data, pos + 2)[0]
                    pos += 6
                else:
                    length = struct.unpack_from("<H", data, pos)[0]
                    pos += 2
            else:
                length = struct.unpack_from("<I", data, pos)[0]
                pos += 4
            label = "%s(%04x,%04x)" % (where, group, element)
            if vr == b"SQ" or (length == 0xFFFFFFFF and vr != b"OB" and vr != b"OW"):
                pos = self.sequence(data, pos, length, explicit, label)
            elif length == 0xFFFFFFFF:  # encapsulated pixel data: its fragments
                pos = self.fragments(data, pos, label)
            else:
                if element != 0x0000:  # group lengths follow the UIDs' lengths
                    self.lines.append("%s %s %s" % (label, (vr or b"--").decode(), self.value(tag, vr, data[pos:pos + length])))
                pos += length
        return pos

    def sequence(self, data, pos, length, explicit, label):
        end = len(data) if length == 0xFFFFFFFF else pos + length
        item = 0
        while pos < end:
            group, element, item_length = struct.unpack_from("<HHI", data, pos)
            pos += 8
            if (group, element) == (0xFFFE, 0xE0DD):
                return pos
            item += 1
            item_end = end if item_length == 0xFFFFFFFF else pos + item_length
            pos = self.parse(data, pos, item_end, explicit, "%s[%d]" % (label, item))
        return pos

    def fragments(self, data, pos, label):
        index = 0
        while pos < len(data):
            group, element, length = struct.unpack_from("<HHI", data, pos)
            pos += 8
            if (group, element) == (0xFFFE, 0xE0DD):
                return pos
            index += 1
            self.lines.append("%s{%d} %s" % (label, index, self.value(0, b"OB", data[pos:pos + length])))
            pos += length
        return pos

    def read(self, data):
        pos = 132
        meta_end = pos
        # The meta group is explicit VR little endian; the data set's syntax is in it.
        while meta_end < len(data) and struct.unpack_from("<H", data, meta_end)[0] == 0x0002:
            vr = data[meta_end + 4:meta_end + 6]
            if vr in LONG_VRS:
                meta_end += 12 + struct.unpack_from("<I", data, meta_end + 8)[0]
            else:
                meta_end += 8 + struct.unpack_from("<H", data, meta_end + 6)[0]
        self.parse(data, pos, meta_end, True, "")
        syntax = [l for l in self.lines if l.startswith("(0002,0010)")]
        explicit = not (syntax and syntax[0].endswith(" 1.2.840.10008.1.2"))
        if syntax and syntax[0].split()[-1] == "1.2.840.10008.1.2.2":
            raise ValueError("big endian DICOM is not compared")
        self.parse(data, meta_end, len(data), explicit, "")
        return self.lines

def normal_dicom(data, uids):
    return Dicom(uids).read(data)

def differs(path, a, b, side_a, side_b):
    """None when equal as the header says, else a short reason."""
    if a == b:
        return None
    if path.endswith(".gz"):
        try:
            if gzip.decompress(a) == gzip.decompress(b):
                return None
            return "decompressed bytes differ"
        except OSError:
            return "bytes differ (not gzip)"
    if split_model(a) and (a.startswith(MODEL_MAGIC_PREFIX) or path.endswith(".pt")):
        return compare_models(a, b)
    if len(a) > 132 and a[128:132] == b"DICM" and b[128:132] == b"DICM":
        la, lb = normal_dicom(a, side_a["uids"]), normal_dicom(b, side_b["uids"])
        for x, y in zip(la, lb):
            if x != y:
                return "DICOM element %s vs %s" % (x[:120], y[:120])
        return None if len(la) == len(lb) else "DICOM element count %d vs %d" % (len(la), len(lb))
    ta = text_of(a, side_a["run"], side_a["binary"], side_a["shas"])
    tb = text_of(b, side_b["run"], side_b["binary"], side_b["shas"])
    if path.endswith(".csv"):
        ra, rb = normal_csv(ta), normal_csv(tb)
        if ra == rb:
            return None
        if ra and rb and ra[0] != rb[0]:
            return "columns differ: %s vs %s" % (ra[0], rb[0])
        for i, (x, y) in enumerate(zip(ra, rb)):
            if x != y:
                cols = [ra[0][j] for j in range(min(len(x), len(y))) if x[j] != y[j]]
                return "row %d differs in %s" % (i, ", ".join(cols[:6]))
        return "row count %d vs %d" % (len(ra), len(rb))
    if path.endswith(".json"):
        try:
            ja, jb = json.loads(ta), json.loads(tb)
        except ValueError:
            return "bytes differ"
        return first_json_difference(without_volatile(ja), without_volatile(jb))
    return "bytes differ"

def side(folder, binary):
    run = os.path.join(folder, "run")
    return {"run": run, "binary": binary, "shas": model_shas(run), "uids": {},
            "order": files_in_order(folder)}

sides = [side(base_dir, base_binary), side(new_dir, new_binary)]
failures = [open(os.path.join(d, "logs", "failed")).read().strip()
            for d in (base_dir, new_dir) if os.path.exists(os.path.join(d, "logs", "failed"))]
order_a = sides[0]["order"]
paths_b = {p for _, p in sides[1]["order"]}
compared, different = 0, []
for step, path in order_a:
    if path not in paths_b:
        different.append((path, "only in base (step %d)" % step))
        continue
    a = open(os.path.join(sides[0]["run"], path), "rb").read()
    b = open(os.path.join(sides[1]["run"], path), "rb").read()
    compared += 1
    why = differs(path, a, b, sides[0], sides[1])
    if why:
        different.append((path, why))
for _, path in sides[1]["order"]:
    if path not in {p for _, p in order_a}:
        different.append((path, "only in new"))
if not failures and compared == 0:
    failures = ["no file written"]
if failures:
    print("%-9s %4d  FAILED (%s)" % (name, compared, " / ".join(failures)))
elif different:
    print("%-9s %4d  DIFFERENT (%s)" % (name, compared, different[0][0]))
else:
    print("%-9s %4d  identical" % (name, compared))
if different and not failures:
    # Where training parted: the progress lines' losses (the steps both printed) and each epoch's summary.
    def losses(folder):
        found = {}
        for log in sorted(os.listdir(os.path.join(folder, "logs"))):
            if log.endswith(".err") and "train" in open(os.path.join(folder, "logs", log[:-4] + ".command")).read():
                for line in open(os.path.join(folder, "logs", log)):
                    step = re.match(r"Epoch (\d+)/\d+ +\d+% (\d+)/\d+ .*loss (\S+)", line)
                    summary = re.match(r"Epoch (\d+)/\d+: (.*), [\d:]+ elapsed", line)
                    if step:
                        found[(int(step.group(1)), int(step.group(2)))] = "loss " + step.group(3)
                    elif summary:
                        found[(int(summary.group(1)), 1 << 30)] = summary.group(2)
        return found
    la, lb = losses(base_dir), losses(new_dir)
    parted = [k for k in sorted(set(la) & set(lb)) if la[k] != lb[k]]
    if parted:
        epoch, step = parted[0]
        print("          training parts at epoch %d %s: %s vs %s" % (
            epoch, "(its summary)" if step == 1 << 30 else "step %d" % step, la[parted[0]], lb[parted[0]]))
    elif la:
        print("          training's printed losses agree (%d lines)" % len(set(la) & set(lb)))
for path, why in different[:12]:
    print("          %s: %s" % (path, why))
if len(different) > 12:
    print("          ... and %d more files" % (len(different) - 12))
sys.exit(1 if failures or different else 0)
PYTHON
}

all_identical=0
[ -n "${JSON_IGNORE:-}" ] && echo "(ignoring in the --json reports: $JSON_IGNORE)"
for name in "${cases[@]}"; do
    if ! steps_of "$name" > /dev/null; then
        echo "compare_outputs.sh: no case '$name' (png, nifti, dicom, superres)." >&2
        exit 2
    fi
    if [ -z "${COMPARE_ONLY:-}" ]; then
        base_seconds=$(run "$base_binary" "$name" base)
        new_seconds=$(run "$new_binary" "$name" new)
    fi
    compare "$name" "$work/$name/base" "$work/$name/new" "$base_binary" "$new_binary" || all_identical=1
    [ -z "${COMPARE_ONLY:-}" ] && echo "          (base ${base_seconds} s, new ${new_seconds} s)"
done
exit $all_identical
