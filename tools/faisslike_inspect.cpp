// faisslike-inspect FILE... [--json]: the structure of index files (faisslike or FAISS format)
// without loading them: types, parameters, bytes per part, checksum status.
// Exit status: 0 all files read cleanly, 1 a file is corrupt or unreadable, 2 usage.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/index_inspect.h"

int main(int argc, char** argv) {
    bool json = false;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            std::printf("usage: faisslike-inspect [--json] FILE...\n");
            return 0;
        } else {
            files.push_back(argv[i]);
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: faisslike-inspect [--json] FILE...\n");
        return 2;
    }
    int status = 0;
    for (const std::string& f : files) {
        try {
            bool clean = false;
            const std::string out = faisslike::inspect_index_file(f, json, &clean);
            std::fputs(out.c_str(), stdout);
            if (json) std::fputs("\n", stdout);
            if (!clean) status = 1;  // described, but damaged: the text says where
        } catch (const std::exception& e) {
            std::fprintf(stderr, "faisslike-inspect: %s\n", e.what());
            status = 1;
        }
    }
    return status;
}
