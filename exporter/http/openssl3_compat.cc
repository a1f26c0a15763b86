#include "http/openssl3_compat.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace batchwatch::http {
namespace {

void* CivetwebDlsym(void* handle, const char* name) {
  void* found = dlsym(handle, name);
  if (found == nullptr && name != nullptr && std::strcmp(name, "SSL_get_peer_certificate") == 0) {
    found = dlsym(handle, "SSL_get1_peer_certificate");
  }
  return found;
}

struct Search {
  ElfW(Addr) base = 0;
  const ElfW(Dyn) * dynamic = nullptr;
  bool found = false;
};

int FindCivetweb(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<Search*>(data);
  if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, "/libcivetweb.so") == nullptr) {
    return 0;
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) {
      search->base = info->dlpi_addr;
      search->dynamic =
          reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
      search->found = true;
      return 1;
    }
  }
  return 0;
}

// Dynamic-section addresses are relocated in place by the loader on x86-64 but not on every
// architecture: accept both forms.
ElfW(Addr) Absolute(ElfW(Addr) base, ElfW(Addr) value) {
  return value < base ? base + value : value;
}

bool PatchSlot(void** slot) {
  long page = sysconf(_SC_PAGESIZE);
  auto start = reinterpret_cast<uintptr_t>(slot) & ~static_cast<uintptr_t>(page - 1);
  // The GOT sits in the RELRO segment (read-only after relocation) when linked with -z now.
  if (mprotect(reinterpret_cast<void*>(start), static_cast<size_t>(page), PROT_READ | PROT_WRITE) !=
      0) {
    return false;
  }
  *slot = reinterpret_cast<void*>(&CivetwebDlsym);
  mprotect(reinterpret_cast<void*>(start), static_cast<size_t>(page), PROT_READ);
  return true;
}

}  // namespace

bool RouteCivetwebOpenSslLookups(std::string* error) {
  Search search;
  dl_iterate_phdr(FindCivetweb, &search);
  if (!search.found) {
    // Statically linked civetweb: nothing to redirect through a GOT.
    *error = "libcivetweb.so is not loaded as a shared library";
    return false;
  }
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  ElfW(Addr) jmprel = 0, rela = 0;
  size_t jmprel_size = 0, rela_size = 0;
  for (const ElfW(Dyn)* d = search.dynamic; d->d_tag != DT_NULL; ++d) {
    switch (d->d_tag) {
      case DT_SYMTAB:
        symtab = reinterpret_cast<const ElfW(Sym)*>(Absolute(search.base, d->d_un.d_ptr));
        break;
      case DT_STRTAB:
        strtab = reinterpret_cast<const char*>(Absolute(search.base, d->d_un.d_ptr));
        break;
      case DT_JMPREL:
        jmprel = Absolute(search.base, d->d_un.d_ptr);
        break;
      case DT_PLTRELSZ:
        jmprel_size = d->d_un.d_val;
        break;
      case DT_RELA:
        rela = Absolute(search.base, d->d_un.d_ptr);
        break;
      case DT_RELASZ:
        rela_size = d->d_un.d_val;
        break;
      default:
        break;
    }
  }
  if (symtab == nullptr || strtab == nullptr) {
    *error = "libcivetweb.so has no dynamic symbol table";
    return false;
  }
  int patched = 0;
  void* wrapper = reinterpret_cast<void*>(&CivetwebDlsym);
  for (auto [table, size] : {std::pair{jmprel, jmprel_size}, std::pair{rela, rela_size}}) {
    if (table == 0) continue;
    const auto* r = reinterpret_cast<const ElfW(Rela)*>(table);
    for (size_t i = 0; i < size / sizeof(ElfW(Rela)); ++i) {
      size_t sym = ELF64_R_SYM(r[i].r_info);
      if (sym == 0 || std::strcmp(strtab + symtab[sym].st_name, "dlsym") != 0) continue;
      auto** slot = reinterpret_cast<void**>(search.base + r[i].r_offset);
      if (*slot == wrapper || PatchSlot(slot)) {
        ++patched;
      } else {
        *error = "cannot make libcivetweb.so's GOT writable";
        return false;
      }
    }
  }
  if (patched == 0) {
    *error = "libcivetweb.so does not import dlsym";
    return false;
  }
  return true;
}

}  // namespace batchwatch::http
