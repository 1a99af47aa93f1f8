// Marks one symbol-version requirement of an ELF shared library as weak (VER_FLG_WEAK), so the
// dynamic loader accepts a system libstdc++ that lacks that version. TorchSharp 0.107's
// libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13) only for std::ios_base_library_init(),
// which nothing calls; Debian 12 / Ubuntu 22.04 ship 3.4.30, so without this the library fails
// to load. Compiled twice: as an MSBuild inline task (build/TorchNativeFix.targets) and into the
// unit tests (GAUMLNET_ELF_TESTS), so the logic the build runs is the logic the tests check.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace GauMLNet.Build
{
    public enum WeakPatchOutcome { NotElf64, NoSuchRequirement, AlreadyWeak, Patched }

    public static class ElfVersionRequirement
    {
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort VerFlgWeak = 0x2;

        /// <summary>Sets VER_FLG_WEAK on every vernaux entry named <paramref name="version"/>; writes atomically.</summary>
        public static WeakPatchOutcome MarkWeak(string path, string version)
        {
            byte[] elf = File.ReadAllBytes(path);
            var offsets = FindFlagOffsets(elf, version, out bool isElf);
            if (!isElf) return WeakPatchOutcome.NotElf64;
            if (offsets.Count == 0) return WeakPatchOutcome.NoSuchRequirement;
            bool changed = false;
            foreach (int at in offsets)
            {
                ushort flags = BitConverter.ToUInt16(elf, at);
                if ((flags & VerFlgWeak) != 0) continue;
                BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, at);
                changed = true;
            }
            if (!changed) return WeakPatchOutcome.AlreadyWeak;
            string temp = path + ".gaupatch.tmp";
            File.WriteAllBytes(temp, elf);
            File.Replace(temp, path, null); // atomic: a reader never sees a half-written library
            return WeakPatchOutcome.Patched;
        }

        /// <summary>True when the library requires <paramref name="version"/> and every such requirement is weak.</summary>
        public static bool IsWeak(string path, string version)
        {
            byte[] elf = File.ReadAllBytes(path);
            var offsets = FindFlagOffsets(elf, version, out _);
            if (offsets.Count == 0) return false;
            foreach (int at in offsets)
                if ((BitConverter.ToUInt16(elf, at) & VerFlgWeak) == 0) return false;
            return true;
        }

        /// <summary>True when some libstdc++.so.6 the loader would find defines <paramref name="version"/>.</summary>
        public static bool SystemLibStdCxxProvides(string version, IEnumerable<string> searchDirectories)
        {
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            foreach (string dir in searchDirectories)
            {
                string candidate = Path.Combine(dir, "libstdc++.so.6");
                if (File.Exists(candidate) && IndexOf(File.ReadAllBytes(candidate), needle) >= 0) return true;
            }
            return false;
        }

        public static IEnumerable<string> DefaultLibraryDirectories()
        {
            string? ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld))
                foreach (string d in ld.Split(':')) if (d.Length > 0) yield return d;
            yield return "/usr/lib/x86_64-linux-gnu";
            yield return "/lib/x86_64-linux-gnu";
            yield return "/usr/lib/aarch64-linux-gnu";
            yield return "/lib/aarch64-linux-gnu";
            yield return "/usr/lib64";
            yield return "/lib64";
            yield return "/usr/lib";
            yield return "/lib";
        }

        // Walks .gnu.version_r (Elf64_Verneed -> Elf64_Vernaux chains) and returns the file offsets
        // of vna_flags for each auxiliary entry whose name equals the version.
        static List<int> FindFlagOffsets(byte[] elf, string version, out bool isElf64)
        {
            var found = new List<int>();
            isElf64 = elf.Length > 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F'
                      && elf[4] == 2 /* ELFCLASS64 */ && elf[5] == 1 /* little endian */;
            if (!isElf64) return found;
            long shoff = BitConverter.ToInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            for (int i = 0; i < shnum; i++)
            {
                int sh = checked((int)(shoff + (long)i * shentsize));
                if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
                int verneed = checked((int)BitConverter.ToInt64(elf, sh + 0x18));
                int strtabIndex = (int)BitConverter.ToUInt32(elf, sh + 0x28);
                int entries = (int)BitConverter.ToUInt32(elf, sh + 0x2C);
                int strtab = checked((int)BitConverter.ToInt64(elf, checked((int)(shoff + (long)strtabIndex * shentsize)) + 0x18));
                int vn = verneed;
                for (int n = 0; n < entries; n++)
                {
                    int count = BitConverter.ToUInt16(elf, vn + 2);
                    int aux = vn + (int)BitConverter.ToUInt32(elf, vn + 8);
                    for (int a = 0; a < count; a++)
                    {
                        int nameAt = strtab + (int)BitConverter.ToUInt32(elf, aux + 8);
                        if (CStringEquals(elf, nameAt, version)) found.Add(aux + 4);
                        aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                    }
                    uint next = BitConverter.ToUInt32(elf, vn + 12);
                    if (next == 0) break;
                    vn += (int)next;
                }
            }
            return found;
        }

        static bool CStringEquals(byte[] data, int at, string value)
        {
            for (int i = 0; i < value.Length; i++)
                if (at + i >= data.Length || data[at + i] != (byte)value[i]) return false;
            return at + value.Length < data.Length && data[at + value.Length] == 0;
        }

        static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }
    }

#if !GAUMLNET_ELF_TESTS
    /// <summary>
    /// MSBuild task: patch every libLibTorchSharp.so below Directory when the system libstdc++ lacks Version, or
    /// always when Force is set (output that will run on other machines, e.g. a tool package).
    /// </summary>
    public sealed class MarkGlibcxxRequirementWeak : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required] public string Directory { get; set; } = "";
        [Microsoft.Build.Framework.Required] public string Version { get; set; } = "";
        public bool Force { get; set; }

        public override bool Execute()
        {
            if (!System.IO.Directory.Exists(Directory)) return true;
            if (!Force && ElfVersionRequirement.SystemLibStdCxxProvides(Version, ElfVersionRequirement.DefaultLibraryDirectories()))
                return true;
            foreach (string lib in System.IO.Directory.EnumerateFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                if (ElfVersionRequirement.MarkWeak(lib, Version) == WeakPatchOutcome.Patched)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        (Force ? "GauMLNet: " : "GauMLNet: system libstdc++ lacks " + Version + "; ") +
                        "marked the " + Version + " requirement weak in " + Path.GetFullPath(lib));
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
