#include "faisslike/index_inspect.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/IndexBinary.h"
#include "faisslike/impl/IndexRecords.h"
#include "faisslike/index_io.h"
#include "faisslike/io.h"

namespace faisslike {
namespace records {

InspectSink*& inspect_sink() {
    static thread_local InspectSink* sink = nullptr;
    return sink;
}

InspectNode* InspectSink::begin(const char* tag, const char* field, uint64_t offset) {
    auto n = std::make_unique<InspectNode>();
    n->tag = tag;
    n->field = field ? field : "";
    n->offset = offset;
    InspectNode* p = n.get();
    stack.back()->children.push_back(std::move(n));
    stack.push_back(p);
    return p;
}

void InspectSink::scalar(const char* field, std::string value) {
    // A record reads some fields once per list or per level: the first value and a count.
    constexpr size_t kMaxScalars = 64;
    auto& v = stack.back()->scalars;
    for (auto& s : v)
        if (s.name == field) {
            ++s.count;
            return;
        }
    if (v.size() < kMaxScalars) v.push_back({field, std::move(value), 1});
}

void InspectSink::bytes(const char* field, uint64_t n) {
    auto& v = stack.back()->parts;
    for (auto& p : v)
        if (p.name == field) {
            p.bytes += n;
            ++p.arrays;
            return;
        }
    v.push_back({field, n, 1});
}

void InspectSink::fourcc(uint32_t v) {
    InspectNode* n = stack.back();
    if (!n->tag.empty()) return;
    for (int i = 0; i < 4; ++i) {
        const char c = char((v >> (8 * i)) & 0xff);
        n->tag += (c >= 32 && c < 127) ? c : '?';
    }
}

InspectScope::InspectScope(const char* tag, const char* field, uint64_t offset) {
    if (InspectSink* k = inspect_sink()) node_ = k->begin(tag, field, offset);
}

InspectScope::~InspectScope() {
    if (!node_) return;
    InspectSink* k = inspect_sink();
    if (k && k->stack.size() > 1 && k->stack.back() == node_) k->stack.pop_back();
}

void InspectScope::done(const std::type_info& type, uint64_t end_offset) {
    if (!node_) return;
    int status = 0;
    char* dm = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    std::string name = status == 0 && dm ? dm : type.name();
    std::free(dm);
    if (name.rfind("faisslike::", 0) == 0) name = name.substr(11);
    node_->type = name;
    node_->length = end_offset - node_->offset;
    node_->complete = true;
}

}  // namespace records

namespace {

using records::InspectNode;

std::string with_commas(uint64_t v) {
    std::string s = std::to_string(v), out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i && (s.size() - i) % 3 == 0) out += ',';
        out += s[i];
    }
    return out;
}

const std::string* scalar(const InspectNode& n, const char* name) {
    for (const auto& s : n.scalars)
        if (s.name == name) return &s.value;
    return nullptr;
}

bool is_header_field(const std::string& f) {
    return f == "d" || f == "metric_type" || f == "ntotal" || f == "is_trained" || f == "dummy" ||
           f == "code_size";
}

std::string metric_name(const std::string& v) {
    return v == "1" ? "L2" : v == "0" ? "IP" : "metric " + v;
}

const char* checksum_name(InspectNode::Checksum c) {
    return c == InspectNode::kOk ? "ok" : c == InspectNode::kMismatch ? "MISMATCH" : "none";
}

void count_checksums(const InspectNode& n, int& ok, int& bad, int& none,
                     std::vector<const InspectNode*>& bad_nodes) {
    for (const auto& c : n.children) {
        if (c->checksum == InspectNode::kOk) ++ok;
        if (c->checksum == InspectNode::kNone) ++none;
        if (c->checksum == InspectNode::kMismatch) {
            ++bad;
            bad_nodes.push_back(c.get());
        }
        count_checksums(*c, ok, bad, none, bad_nodes);
    }
}

void text_node(const InspectNode& n, int depth, std::string& out) {
    const std::string ind(size_t(2 * depth), ' ');
    out += ind;
    if (depth > 0) out += n.field + ": ";
    out += n.type.empty() ? std::string("?") : n.type;
    out += " [" + n.tag + "]";
    if (const std::string* v = scalar(n, "d")) out += " d=" + *v;
    if (const std::string* v = scalar(n, "metric_type")) out += " metric=" + metric_name(*v);
    if (const std::string* v = scalar(n, "ntotal")) out += " ntotal=" + *v;
    if (const std::string* v = scalar(n, "is_trained"))
        out += *v == "1" ? " trained" : " untrained";
    out += "  (offset " + with_commas(n.offset);
    if (n.complete) out += ", " + with_commas(n.length) + " bytes";
    out += std::string(", checksum ") + checksum_name(n.checksum) + ")";
    if (!n.complete) out += "  INCOMPLETE: reading stopped inside this record";
    out += "\n";
    std::string params;
    for (const auto& s : n.scalars) {
        if (is_header_field(s.name)) continue;
        params += " " + s.name + "=" + s.value;
        if (s.count > 1) params += " (x" + with_commas(s.count) + ")";
    }
    if (!params.empty()) out += ind + "  params:" + params + "\n";
    if (!n.parts.empty()) {
        out += ind + "  parts:";
        for (size_t i = 0; i < n.parts.size(); ++i) {
            const auto& p = n.parts[i];
            out += (i ? ", " : " ") + p.name + " " + with_commas(p.bytes) + " B";
            if (p.arrays > 1) out += " in " + with_commas(p.arrays) + " arrays";
        }
        out += "\n";
    }
    for (const auto& c : n.children) text_node(*c, depth + 1, out);
}

std::string json_string(const std::string& s) {
    std::string o = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            o += '\\';
            o += char(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", unsigned(c));
            o += buf;
        } else {
            o += char(c);
        }
    }
    return o + "\"";
}

void json_node(const InspectNode& n, std::string& out) {
    out += "{\"type\":" + json_string(n.type) + ",\"tag\":" + json_string(n.tag) +
           ",\"field\":" + json_string(n.field) + ",\"offset\":" + std::to_string(n.offset) +
           ",\"bytes\":" + std::to_string(n.length) +
           ",\"complete\":" + (n.complete ? "true" : "false") + ",\"checksum\":\"" +
           (n.checksum == InspectNode::kOk         ? "ok"
            : n.checksum == InspectNode::kMismatch ? "mismatch"
                                                   : "none") +
           "\",\"params\":{";
    for (size_t i = 0; i < n.scalars.size(); ++i)
        out +=
            (i ? "," : "") + json_string(n.scalars[i].name) + ":" + json_string(n.scalars[i].value);
    out += "},\"parts\":{";
    for (size_t i = 0; i < n.parts.size(); ++i)
        out += (i ? "," : "") + json_string(n.parts[i].name) +
               ":{\"bytes\":" + std::to_string(n.parts[i].bytes) +
               ",\"arrays\":" + std::to_string(n.parts[i].arrays) + "}";
    out += "},\"children\":[";
    for (size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += ",";
        json_node(*n.children[i], out);
    }
    out += "]}";
}

// Clears the thread's sink however the reading ends.
struct SinkGuard {
    explicit SinkGuard(records::InspectSink* k) { records::inspect_sink() = k; }
    ~SinkGuard() { records::inspect_sink() = nullptr; }
};

}  // namespace

std::string inspect_index_file(const std::string& path, bool json, bool* clean) {
    FAISSLIKE_CHECK_ARG_MSG(!records::inspect_sink(),
                            "inspect_index_file: already inspecting in this thread");
    // Opening is the one error thrown: everything after it is reported.
    auto probe = std::make_unique<MmapIOReader>(path);
    const uint64_t size = probe->remaining();
    uint8_t head[12] = {0};
    const size_t nhead = size_t(std::min<uint64_t>(size, sizeof(head)));
    probe->read(head, nhead);
    probe.reset();
    std::string format;
    uint32_t version = 0;
    bool ours = nhead >= 12 && std::memcmp(head, records::kFileMagic, 8) == 0;
    if (ours) {
        std::memcpy(&version, head + 8, 4);
        format = "faisslike format v" + std::to_string(version);
    } else {
        format = "FAISS format";
    }
    // Binary indexes: our first record tag, or FAISS's fourcc, starts with "IB".
    uint8_t tag[4] = {0};
    bool binary = false;
    if (ours && size >= 20) {
        MmapIOReader r(path);
        uint8_t buf[20];
        r.read(buf, 20);
        std::memcpy(tag, buf + 16, 4);
        binary = tag[0] == 'I' && tag[1] == 'B';
    } else if (!ours && nhead >= 2) {
        binary = head[0] == 'I' && head[1] == 'B';
    }

    records::InspectSink sink;
    std::string error;
    {
        SinkGuard guard(&sink);
        try {
            MmapIOReader r(path);
            if (binary)
                read_index_binary(&r);
            else
                read_index(&r);
        } catch (const std::exception& e) {
            error = e.what();
        }
    }
    int ok = 0, bad = 0, none = 0;
    std::vector<const InspectNode*> bad_nodes;
    count_checksums(sink.root, ok, bad, none, bad_nodes);
    const int nrec = ok + bad + none;
    if (clean) *clean = error.empty() && bad == 0;
    std::string sums;
    if (!ours)
        sums = "none (the FAISS format has no checksums)";
    else if (version < 2)
        sums = "none (format version 1 has no checksums)";
    else if (bad)
        sums = std::to_string(bad) + " of " + std::to_string(nrec) + " records MISMATCH";
    else if (error.empty())
        sums = "all " + std::to_string(nrec) + " records verified";
    else
        sums = std::to_string(ok) + " records verified before reading stopped";

    if (json) {
        std::string out =
            "{\"path\":" + json_string(path) +
            ",\"format\":" + json_string(ours ? "faisslike" : "faiss") +
            ",\"version\":" + std::to_string(version) + ",\"file_bytes\":" + std::to_string(size) +
            ",\"binary\":" + (binary ? "true" : "false") + ",\"checksums\":" + json_string(sums) +
            ",\"error\":" + (error.empty() ? "null" : json_string(error)) + ",\"index\":";
        if (sink.root.children.empty())
            out += "null";
        else
            json_node(*sink.root.children[0], out);
        return out + "}";
    }
    std::string out = path + ": " + format + (binary ? ", binary index" : "") + ", " +
                      with_commas(size) + " bytes\n";
    out += "checksums: " + sums;
    for (const InspectNode* n : bad_nodes)
        out += "\n  mismatch: " + n->tag + " at offset " + with_commas(n->offset);
    out += "\n";
    for (const auto& c : sink.root.children) text_node(*c, 0, out);
    if (!error.empty()) out += "error: " + error + "\n";
    return out;
}

}  // namespace faisslike
