@echo off
rem tipdesk launcher for Windows (README, "Windows"): run.bat daily, run.bat check, ...
rem Double-clicked it shows what to do and waits for a key; given a command it runs it and
rem returns its exit status (0 done, 1 unexpected, 2 usage or config, 3 register open).
rem First use makes .venv from requirements.txt: from the wheels\ folder beside this file
rem when there is one (PCs without internet), else from the network; again when
rem requirements.txt changes. This file is UTF-8 with CRLF line endings (.gitattributes keeps
rem them): the console is switched to UTF-8 for the messages and switched back at the end.
setlocal EnableExtensions DisableDelayedExpansion
set "TIPDESK_CP="
for /f "tokens=2 delims=:" %%c in ('chcp') do set "TIPDESK_CP=%%c"
chcp 65001 >nul
set "HERE=%~dp0"
set "VENV=%HERE%.venv"
set "RC=0"

rem A double-click opens a window for this file alone (its name is in cmdcmdline) and closes
rem it at the end: then wait for a key. Typed in an open window, or given a command (a
rem scheduled task always is), no waiting.
set "STANDALONE="
setlocal EnableDelayedExpansion
if /i not "!cmdcmdline:%~nx0=!"=="!cmdcmdline!" set "STANDALONE=1"
endlocal & set "STANDALONE=%STANDALONE%"
if not "%~1"=="" set "STANDALONE="

if exist "%VENV%\Scripts\python.exe" goto have_venv
call :find_python
if not defined PY goto no_python
echo 正在准备运行环境（第一次使用，需要几分钟）…
%PY% -m venv "%VENV%"
if errorlevel 1 goto venv_failed
:have_venv
fc /b "%HERE%requirements.txt" "%VENV%\requirements.installed" >nul 2>&1
if errorlevel 1 call :install
if errorlevel 1 goto install_failed

set "PYTHONPATH=%HERE%;%PYTHONPATH%"
set "PYTHONDONTWRITEBYTECODE="
rem A block's %1 is expanded before `shift` runs, so the test command jumps to a label.
if "%~1"=="test" goto test
if "%~1"=="" goto menu
"%VENV%\Scripts\python.exe" -m tipdesk %*
set "RC=%errorlevel%"
goto end

:menu
"%VENV%\Scripts\python.exe" -m tipdesk --help
echo.
echo 每天的处理：双击工作区中的 每日运行.bat（由 run.bat init 工作区文件夹 生成），
echo 或在命令提示符中输入 run.bat daily --config "D:\举报台账\config.yaml"。
goto end

:test
shift
cd /d "%HERE%"
"%VENV%\Scripts\python.exe" -m pytest %1 %2 %3 %4 %5 %6 %7 %8 %9
set "RC=%errorlevel%"
goto end

:find_python
rem Python 3.11 or later, through the py launcher or python on PATH. The "python" that
rem Windows ships as a Microsoft Store shortcut fails this test, as it should.
set "PY="
py -3 -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)" >nul 2>&1
if not errorlevel 1 (set "PY=py -3" & exit /b 0)
python -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)" >nul 2>&1
if not errorlevel 1 (set "PY=python" & exit /b 0)
exit /b 1

:install
if exist "%HERE%wheels\" goto install_offline
echo 正在从网络安装依赖…
"%VENV%\Scripts\python.exe" -m pip install --quiet --disable-pip-version-check -r "%HERE%requirements.txt"
if errorlevel 1 exit /b 1
goto installed
:install_offline
echo 正在从 wheels 文件夹安装依赖（离线）…
"%VENV%\Scripts\python.exe" -m pip install --quiet --disable-pip-version-check --no-index --find-links "%HERE%wheels" -r "%HERE%requirements.txt"
if errorlevel 1 exit /b 1
:installed
copy /y "%HERE%requirements.txt" "%VENV%\requirements.installed" >nul
exit /b 0

:no_python
echo.
echo 没有找到 Python 3.11 或更高版本，tipdesk 需要它才能运行。安装方法：
echo   1. 打开 https://www.python.org/downloads/windows/ ，下载 Windows installer (64-bit)；
echo   2. 运行安装程序，第一页勾选“Add python.exe to PATH”，再点“Install Now”；
echo   3. 装好后重新双击 run.bat 或 每日运行.bat。
echo 没有外网的电脑：在有外网的电脑上准备好安装程序和 wheels 文件夹后拷过来，见 README“Windows”一节。
set "RC=1"
goto end

:venv_failed
echo.
echo 无法在 %VENV% 创建运行环境：请确认这个文件夹可以写入，或把 tipdesk 文件夹放到 D:\tipdesk 这样的位置再试。
set "RC=1"
goto end

:install_failed
echo.
echo 安装依赖失败，原因见上面的信息。请检查网络后重新运行；没有外网的电脑请按 README“Windows”一节用 wheels 文件夹离线安装。
set "RC=1"
goto end

:end
if defined STANDALONE (
  echo.
  pause
)
if defined TIPDESK_CP chcp %TIPDESK_CP% >nul
exit /b %RC%
