/*
 * bcryptprimitives.dll for Wine: exports ProcessPrng, forwarding to advapi32's
 * SystemFunction036 (RtlGenRandom).
 *
 * Why: since Go 1.22 the Windows runtime loads ProcessPrng from bcryptprimitives.dll in the
 * system directory at start-up and aborts without it ("fatal error: bcryptprimitives.dll not
 * found"). Debian 12's Wine 8.0 does not ship that DLL, so no Go >= 1.22 Windows binary starts
 * under it. `make windows` builds this file with gcc-mingw-w64-x86-64 and copies the DLL into
 * the temporary Wine prefix's drive_c/windows/system32; it is never shipped and never used on
 * a real Windows host, which has its own bcryptprimitives.dll.
 *
 * Build: x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll processprng.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom is exported by advapi32 as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills data with size random bytes; it always succeeds on Windows, so it is TRUE
 * here unless advapi32 fails. SIZE_T is wider than ULONG: fill in chunks. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
