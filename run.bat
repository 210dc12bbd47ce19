@echo off
rem tipdesk launcher for Windows: makes .venv from requirements.txt on first use, then runs.
rem This file is UTF-8: switch the console to it so the Chinese messages read right.
chcp 65001 >nul
setlocal
set HERE=%~dp0
set VENV=%HERE%.venv
set PYTHONPATH=%HERE%;%PYTHONPATH%
set PYTHONDONTWRITEBYTECODE=
if not exist "%VENV%\Scripts\python.exe" (
  echo 正在准备运行环境（首次使用）…
  py -3 -m venv "%VENV%" || python -m venv "%VENV%"
  "%VENV%\Scripts\python.exe" -m pip install --quiet -r "%HERE%requirements.txt" || exit /b 1
  copy /y "%HERE%requirements.txt" "%VENV%\requirements.installed" >nul
)
fc /b "%HERE%requirements.txt" "%VENV%\requirements.installed" >nul 2>&1
if errorlevel 1 (
  "%VENV%\Scripts\python.exe" -m pip install --quiet -r "%HERE%requirements.txt" || exit /b 1
  copy /y "%HERE%requirements.txt" "%VENV%\requirements.installed" >nul
)
rem A block's %1 is expanded before `shift` runs, so the test command jumps to a label.
if "%~1"=="test" goto test
"%VENV%\Scripts\python.exe" -m tipdesk %*
exit /b %errorlevel%

:test
shift
cd /d "%HERE%"
"%VENV%\Scripts\python.exe" -m pytest %1 %2 %3 %4 %5 %6 %7 %8 %9
exit /b %errorlevel%
