// Exercises scripts/worker/compat/srtp.h (libsrtp 3 API on libsrtp2) the way the
// mediasoup worker's SrtpSession uses it, and prints one JSON line per check.
#include <srtp.h>
#include <cstdio>
#include <cstring>
#include <vector>

static bool Session(srtp_t* out, srtp_profile_t profile, srtp_ssrc_type_t type, const uint8_t* keySalt)
{
	srtp_policy_t policy{ nullptr };
	if (srtp_policy_create(&policy) != srtp_err_status_ok) return false;
	srtp_ssrc_t ssrc{};
	ssrc.type  = type;
	ssrc.value = 0;
	bool ok = srtp_policy_set_ssrc(policy, ssrc) == srtp_err_status_ok &&
	          srtp_policy_set_profile(policy, profile) == srtp_err_status_ok;
	const size_t keyLen  = srtp_profile_get_master_key_length(profile);
	const size_t saltLen = srtp_profile_get_master_salt_length(profile);
	ok = ok && srtp_policy_add_key(policy, keySalt, keyLen, keySalt + keyLen, saltLen, nullptr, 0) == srtp_err_status_ok;
	ok = ok && srtp_policy_set_allow_repeat_tx(policy, true) == srtp_err_status_ok;
	ok = ok && srtp_policy_set_window_size(policy, 1024) == srtp_err_status_ok;
	ok = ok && srtp_create(out, policy) == srtp_err_status_ok;
	srtp_policy_destroy(policy);
	return ok;
}

int main()
{
	if (srtp_init() != srtp_err_status_ok) return 2;
	const struct { srtp_profile_t profile; const char* name; } suites[] = {
		{ srtp_profile_aes128_cm_sha1_80, "AES_CM_128_HMAC_SHA1_80" },
		{ srtp_profile_aes128_cm_sha1_32, "AES_CM_128_HMAC_SHA1_32" },
		{ srtp_profile_aead_aes_128_gcm, "AEAD_AES_128_GCM" },
		{ srtp_profile_aead_aes_256_gcm, "AEAD_AES_256_GCM" },
	};
	uint8_t keySalt[64];
	for (size_t i = 0; i < sizeof(keySalt); i++) keySalt[i] = static_cast<uint8_t>(i * 7 + 3);

	for (const auto& suite : suites)
	{
		srtp_t tx{}, rx{};
		const bool created = Session(&tx, suite.profile, ssrc_any_outbound, keySalt) &&
		                     Session(&rx, suite.profile, ssrc_any_inbound, keySalt);
		// RTP: 12-byte header (V=2, PT 111, seq 1, SSRC 0x11223344) + payload.
		uint8_t rtp[172] = { 0x80, 111, 0, 1, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44 };
		for (size_t i = 12; i < sizeof(rtp); i++) rtp[i] = static_cast<uint8_t>(i);
		uint8_t srtp[512];
		size_t srtpLen = sizeof(srtp);
		const bool protectedOk = created && srtp_protect(tx, rtp, sizeof(rtp), srtp, &srtpLen, 0) == srtp_err_status_ok;
		const bool changed = protectedOk && srtpLen > sizeof(rtp) && std::memcmp(srtp + 12, rtp + 12, 16) != 0;
		uint8_t plain[512];
		size_t plainLen = sizeof(plain);
		const bool unprotectedOk = protectedOk && srtp_unprotect(rx, srtp, srtpLen, plain, &plainLen) == srtp_err_status_ok;
		const bool roundTrip = unprotectedOk && plainLen == sizeof(rtp) && std::memcmp(plain, rtp, sizeof(rtp)) == 0;

		// A tampered packet must fail authentication.
		uint8_t tampered[512];
		std::memcpy(tampered, srtp, srtpLen);
		tampered[srtpLen - 1] ^= 0x01;
		rtp[3] = 2; // next sequence number so replay protection does not interfere
		size_t len2 = sizeof(srtp);
		uint8_t srtp2[512];
		srtp_protect(tx, rtp, sizeof(rtp), srtp2, &len2, 0);
		srtp2[len2 - 1] ^= 0x01;
		size_t tamperedLen = sizeof(plain);
		const bool tamperRefused = srtp_unprotect(rx, srtp2, len2, plain, &tamperedLen) != srtp_err_status_ok;

		// Output buffer without room for the auth trailer is refused before any copy.
		uint8_t small[sizeof(rtp) + 1];
		size_t smallLen = sizeof(small);
		rtp[3] = 3;
		const srtp_err_status_t smallErr = srtp_protect(tx, rtp, sizeof(rtp), small, &smallLen, 0);
		// ... while exactly packet + largest tag is enough.
		uint8_t exact[sizeof(rtp) + SRTP_MAX_TAG_LEN];
		size_t exactLen = sizeof(exact);
		rtp[3] = 5;
		const bool exactOk = srtp_protect(tx, rtp, sizeof(rtp), exact, &exactLen, 0) == srtp_err_status_ok;

		// RTCP: receiver report (V=2, PT 201, length 1) + SSRC.
		uint8_t rtcp[8] = { 0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44 };
		uint8_t srtcp[128];
		size_t srtcpLen = sizeof(srtcp);
		const bool rtcpProtected = srtp_protect_rtcp(tx, rtcp, sizeof(rtcp), srtcp, &srtcpLen, 0) == srtp_err_status_ok;
		uint8_t rtcpOut[128];
		size_t rtcpOutLen = sizeof(rtcpOut);
		const bool rtcpRoundTrip = rtcpProtected &&
		  srtp_unprotect_rtcp(rx, srtcp, srtcpLen, rtcpOut, &rtcpOutLen) == srtp_err_status_ok &&
		  rtcpOutLen == sizeof(rtcp) && std::memcmp(rtcpOut, rtcp, sizeof(rtcp)) == 0;
		uint8_t rtcpSmall[sizeof(rtcp) + 4];
		size_t rtcpSmallLen = sizeof(rtcpSmall);
		const srtp_err_status_t rtcpSmallErr = srtp_protect_rtcp(tx, rtcp, sizeof(rtcp), rtcpSmall, &rtcpSmallLen, 0);

		// In-place unprotect (the worker decrypts in its receive buffer).
		rtp[3] = 4;
		size_t inPlaceLen = sizeof(srtp);
		srtp_protect(tx, rtp, sizeof(rtp), srtp, &inPlaceLen, 0);
		const bool inPlace = srtp_unprotect(rx, srtp, inPlaceLen, srtp, &inPlaceLen) == srtp_err_status_ok &&
		                     inPlaceLen == sizeof(rtp) && std::memcmp(srtp, rtp, sizeof(rtp)) == 0;

		std::printf(
		  "{\"suite\":\"%s\",\"created\":%s,\"changed\":%s,\"roundTrip\":%s,\"tamperRefused\":%s,"
		  "\"smallBufferError\":%d,\"rtcpRoundTrip\":%s,\"rtcpSmallBufferError\":%d,\"inPlace\":%s,\"exactBuffer\":%s,\"trailer\":%zu}\n",
		  suite.name, created ? "true" : "false", changed ? "true" : "false", roundTrip ? "true" : "false",
		  tamperRefused ? "true" : "false", static_cast<int>(smallErr), rtcpRoundTrip ? "true" : "false",
		  static_cast<int>(rtcpSmallErr), inPlace ? "true" : "false", exactOk ? "true" : "false", srtpLen - sizeof(rtp));
		if (created) { srtp_dealloc(tx); srtp_dealloc(rx); }
	}
	std::printf("{\"bufferSmallCode\":%d}\n", static_cast<int>(srtp_err_status_buffer_small));
	srtp_shutdown();
	return 0;
}
