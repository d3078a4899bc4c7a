// libsrtp 3 API used by the mediasoup worker, implemented on Debian's libsrtp2 2.5.
// This header shadows <srtp.h> through the compat/ include directory, so the
// worker's sources build unchanged against the system library.
#ifndef PORTIER_COMPAT_SRTP_H
#define PORTIER_COMPAT_SRTP_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

// libsrtp 2 calls its policy struct srtp_policy_t; libsrtp 3 uses that name for
// an opaque handle. Rename the v2 struct while including it (typedef names do
// not reach the linker, so the C functions still link).
#define srtp_policy_t portier_srtp2_policy_t
#include <srtp2/srtp.h>
#undef srtp_policy_t

// Error codes libsrtp 3 added (values as in libsrtp 3's srtp.h).
static constexpr srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(28);
static constexpr srtp_err_status_t srtp_err_status_cryptex_err = static_cast<srtp_err_status_t>(29);

struct portier_srtp_policy
{
	portier_srtp2_policy_t v2;
	srtp_profile_t profile;
	unsigned char key[SRTP_MAX_KEY_LEN];
};

typedef portier_srtp_policy* srtp_policy_t;

inline srtp_err_status_t srtp_policy_create(srtp_policy_t* policy)
{
	if (policy == nullptr)
		return srtp_err_status_bad_param;
	auto* p = new (std::nothrow) portier_srtp_policy{};
	if (p == nullptr)
		return srtp_err_status_alloc_fail;
	p->profile = srtp_profile_reserved;
	p->v2.key  = p->key;
	*policy    = p;
	return srtp_err_status_ok;
}

inline void srtp_policy_destroy(srtp_policy_t policy)
{
	if (policy != nullptr)
		std::memset(policy->key, 0, sizeof(policy->key));
	delete policy;
}

inline srtp_err_status_t srtp_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc)
{
	if (policy == nullptr)
		return srtp_err_status_bad_param;
	policy->v2.ssrc = ssrc;
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile)
{
	if (policy == nullptr)
		return srtp_err_status_bad_param;
	srtp_err_status_t err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->v2.rtp, profile);
	if (err != srtp_err_status_ok)
		return err;
	err = srtp_crypto_policy_set_from_profile_for_rtcp(&policy->v2.rtcp, profile);
	if (err != srtp_err_status_ok)
		return err;
	policy->profile = profile;
	return srtp_err_status_ok;
}

// libsrtp 2 takes one buffer with the master key followed by the master salt.
inline srtp_err_status_t srtp_policy_add_key(
  srtp_policy_t policy,
  const uint8_t* key,
  size_t keyLen,
  const uint8_t* salt,
  size_t saltLen,
  const uint8_t* mki,
  size_t mkiLen)
{
	if (policy == nullptr || key == nullptr || salt == nullptr)
		return srtp_err_status_bad_param;
	if (mki != nullptr || mkiLen != 0)
		return srtp_err_status_bad_param; // MKI is not used by the worker.
	if (keyLen + saltLen > sizeof(policy->key))
		return srtp_err_status_bad_param;
	std::memcpy(policy->key, key, keyLen);
	std::memcpy(policy->key + keyLen, salt, saltLen);
	policy->v2.key = policy->key;
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow)
{
	if (policy == nullptr)
		return srtp_err_status_bad_param;
	policy->v2.allow_repeat_tx = allow ? 1 : 0;
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_window_size(srtp_policy_t policy, size_t windowSize)
{
	if (policy == nullptr || windowSize < 64 || windowSize >= 0x8000)
		return srtp_err_status_bad_param;
	policy->v2.window_size = windowSize;
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_create(srtp_t* session, srtp_policy_t policy)
{
	if (policy == nullptr || policy->profile == srtp_profile_reserved)
		return srtp_err_status_bad_param;
	policy->v2.next = nullptr;
	return srtp_create(session, static_cast<const portier_srtp2_policy_t*>(&policy->v2));
}

inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}

namespace portier_srtp_compat
{
	// Without MKI (refused above) libsrtp 2 appends at most the auth tag to RTP,
	// and the 4-byte SRTCP index plus the tag to RTCP. (SRTP_MAX_TRAILER_LEN
	// also counts a 128-byte MKI and would refuse ordinary packets.)
	constexpr size_t RtpTrailer  = SRTP_MAX_TAG_LEN;
	constexpr size_t RtcpTrailer = SRTP_MAX_TAG_LEN + sizeof(uint32_t);

	// Copies in to out (when they differ) and checks that out can hold the
	// packet plus `extra` trailer bytes before libsrtp 2 writes in place.
	inline srtp_err_status_t Prepare(
	  const uint8_t* in, size_t inLen, uint8_t* out, size_t outCap, size_t extra, int* len)
	{
		if (in == nullptr || out == nullptr || inLen > static_cast<size_t>(INT32_MAX) - extra)
			return srtp_err_status_bad_param;
		if (outCap < inLen + extra)
			return srtp_err_status_buffer_small;
		if (out != in)
			std::memmove(out, in, inLen);
		*len = static_cast<int>(inLen);
		return srtp_err_status_ok;
	}
} // namespace portier_srtp_compat

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtpLen, uint8_t* srtp, size_t* srtpLen, size_t mkiIndex)
{
	int len{ 0 };
	if (srtpLen == nullptr || mkiIndex != 0)
		return srtp_err_status_bad_param;
	srtp_err_status_t err =
	  portier_srtp_compat::Prepare(rtp, rtpLen, srtp, *srtpLen, portier_srtp_compat::RtpTrailer, &len);
	if (err != srtp_err_status_ok)
		return err;
	err = srtp_protect(ctx, srtp, &len);
	if (err == srtp_err_status_ok)
		*srtpLen = static_cast<size_t>(len);
	return err;
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtpLen, uint8_t* rtp, size_t* rtpLen)
{
	int len{ 0 };
	if (rtpLen == nullptr)
		return srtp_err_status_bad_param;
	srtp_err_status_t err = portier_srtp_compat::Prepare(srtp, srtpLen, rtp, *rtpLen, 0, &len);
	if (err != srtp_err_status_ok)
		return err;
	err = srtp_unprotect(ctx, rtp, &len);
	if (err == srtp_err_status_ok)
		*rtpLen = static_cast<size_t>(len);
	return err;
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcpLen, uint8_t* srtcp, size_t* srtcpLen, size_t mkiIndex)
{
	int len{ 0 };
	if (srtcpLen == nullptr || mkiIndex != 0)
		return srtp_err_status_bad_param;
	srtp_err_status_t err = portier_srtp_compat::Prepare(
	  rtcp, rtcpLen, srtcp, *srtcpLen, portier_srtp_compat::RtcpTrailer, &len);
	if (err != srtp_err_status_ok)
		return err;
	err = srtp_protect_rtcp(ctx, srtcp, &len);
	if (err == srtp_err_status_ok)
		*srtcpLen = static_cast<size_t>(len);
	return err;
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcpLen, uint8_t* rtcp, size_t* rtcpLen)
{
	int len{ 0 };
	if (rtcpLen == nullptr)
		return srtp_err_status_bad_param;
	srtp_err_status_t err = portier_srtp_compat::Prepare(srtcp, srtcpLen, rtcp, *rtcpLen, 0, &len);
	if (err != srtp_err_status_ok)
		return err;
	err = srtp_unprotect_rtcp(ctx, rtcp, &len);
	if (err == srtp_err_status_ok)
		*rtcpLen = static_cast<size_t>(len);
	return err;
}

#endif
